"""The server-rendered console: thin pages over the same capability functions as the API."""
