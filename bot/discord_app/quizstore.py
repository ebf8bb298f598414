"""Quiz scores per member in SQLite under ``DATA_DIR``: they survive a restart and a crash.

Members are keyed by the salted hash the feedback log uses (:class:`~bot.discord_app.helpers.UserHasher`),
never their raw Discord id.  Every answer is one short transaction, so a restart loses nothing
that was shown.  Call from a worker thread (the bot's ``offload``).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

QUIZ_DB = "quiz.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    user     TEXT PRIMARY KEY,
    answered INTEGER NOT NULL DEFAULT 0,
    correct  INTEGER NOT NULL DEFAULT 0,
    streak   INTEGER NOT NULL DEFAULT 0,
    best     INTEGER NOT NULL DEFAULT 0,
    updated  TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Score:
    answered: int = 0
    correct: int = 0
    streak: int = 0
    best: int = 0

    @property
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


class ScoreStore:
    """One row per member: answers, right answers, the current streak and the best one."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        if not self._ready:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            self._ready = True
        return conn

    def record(self, user: str, correct: bool) -> Score:
        """Count one answer and return the member's score after it."""
        with self._lock, closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = self._read(conn, user)
                streak = before.streak + 1 if correct else 0
                after = Score(
                    answered=before.answered + 1,
                    correct=before.correct + int(correct),
                    streak=streak,
                    best=max(before.best, streak),
                )
                conn.execute(
                    "INSERT INTO scores (user, answered, correct, streak, best, updated) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(user) DO UPDATE SET answered=excluded.answered, correct=excluded.correct, "
                    "streak=excluded.streak, best=excluded.best, updated=excluded.updated",
                    (user, after.answered, after.correct, after.streak, after.best,
                     datetime.now(UTC).isoformat(timespec="seconds")),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return after

    def get(self, user: str) -> Score:
        with self._lock, closing(self._connect()) as conn:
            return self._read(conn, user)

    @staticmethod
    def _read(conn: sqlite3.Connection, user: str) -> Score:
        row = conn.execute("SELECT answered, correct, streak, best FROM scores WHERE user = ?", (user,)).fetchone()
        return Score(*row) if row else Score()
