"""Alembic migrations, applied in the order of their file names: 0001_..., 0002_..., and so on.

Each file's `down_revision` is the revision id of the file before it, and its docstring says both.
The first seven keep the revision ids databases already recorded (so `0004_languages.py` is
revision '0008_languages'); from file 0008 on, a revision id is its file's stem (`0008_plans.py`
is revision '0008_plans'; the next is `0009_what_it_does.py`, revision '0009_what_it_does'),
and `storage.db.HEAD` names the last.
`tests/storage/test_migrations.py` checks all of this.
"""
