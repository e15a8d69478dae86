"""Repository tools (not installed): `python -m tools.readme_results`."""
