"""The ``kiemen`` command line: the top floor, above the portal, loaders and core."""
