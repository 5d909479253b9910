"""The adapter to the database: typed models, repositories, migrations."""
