"""Validation against the shapes: the streaming checker, the compiled shapes it runs, pyshacl as
the reference for what the checker does not support, and checking a generation's graphs."""
