"""The attribute table: model, filter expressions and the dock."""
