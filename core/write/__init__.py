"""The one write pipeline every writer takes, the provenance records it writes, and the
downloadable dumps built after a publish."""
