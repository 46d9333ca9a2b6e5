"""The browse and text indexes: their formats and readers (facets, search), how a generation's
indexes are built in full, and how they are patched from the parent's after a small write."""
