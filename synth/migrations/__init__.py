"""The store's schema migrations (Alembic): `env.py`, one file per revision under `versions/`. Run by
`synth.schema.upgrade` whenever a store is opened, and by `synth db upgrade`."""
