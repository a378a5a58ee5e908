"""Local stand-ins for the outside services Parley talks to, driven by real client libraries."""
