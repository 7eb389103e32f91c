"""Modal dialogs: import, export, the feature form, error details."""
