"""Ingest: platform order exports, behaviour events and WeCom data into the store."""
