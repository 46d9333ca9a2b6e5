"""The Kiemen portal: the Flask application (:mod:`portal.app`), its views and read models."""
