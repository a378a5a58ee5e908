"""Exit 0 if a PostgreSQL server answers at the URL given, 1 (with the reason) if not."""
import sys

import sqlalchemy


def main(url: str) -> int:
    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure means "not available"; the reason is printed
        print(f"PostgreSQL not available: {type(exc).__name__}: {exc}".splitlines()[0])
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
