"""Where the state lives: in memory, or in a data folder (SQLite plus the uploaded files).

`base.Store` is the seam the core calls; `memory.MemoryStore` and `sqlite.SqliteStore`
implement it. Snapshots (`snapshots.py`) are single SQLite files of the same schema
that also hold the uploaded bytes.
"""
