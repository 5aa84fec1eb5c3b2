"""The parsing worker process of a big import: `python -m siyu.ingest.parser_worker`.

See `siyu.ingest.pipeline.worker_batches`. A module of its own so that what it pickles belongs
to `siyu.ingest.pipeline`, not to `__main__`.
"""

from siyu.ingest.pipeline import work

if __name__ == "__main__":
    work()
