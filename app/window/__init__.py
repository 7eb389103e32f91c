"""The main window, its menus and tools, and the app's start-up."""
