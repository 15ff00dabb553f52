"""The peer of `swingpipe serve` for tools/bench-peers.sh server: the Python suite's API stack.

FastAPI on uvicorn, as the suite's api/server.py, serving the two routes the benchmark measures
from the same SQLite files swingpipe uses (environment: PEER_LIBRARY, PEER_KEYS_DB, PEER_MODE):

  GET /health              no key
  GET /v1/library/stats    Authorization: Bearer gms_...; scope read

Key verification follows the suite's api/auth/dependencies.py with its prefix-hash fix working
(the suite's never ran, its column did not exist): the rows whose prefix_hash is the SHA-256 hex
of the 8 characters after `gms_`, then bcrypt.checkpw on each candidate.

PEER_MODE=suite: as the suite does it on every request: the candidate query, bcrypt, and one
  write of last_used/usage_count per request (committed), then the statistics query.
PEER_MODE=cached: the same with a verified-key cache in front (SHA-256 of the whole key, 60 s
  TTL, as swingpipe's) and no per-request usage write, so that what is left is the framework,
  the JSON and one aggregate query per request (the suite had no statistics cache).

The statistics are swingpipe's aggregate statement and the two group counts (three statements
per request; the suite made more), answered in swingpipe's JSON shape so that the benchmark can
check that both servers agree.
"""
import hashlib
import json
import os
import sqlite3
import threading
import time

import bcrypt
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import JSONResponse

LIBRARY = os.environ["PEER_LIBRARY"]
KEYS_DB = os.environ["PEER_KEYS_DB"]
MODE = os.environ.get("PEER_MODE", "suite")
if MODE not in ("suite", "cached"):
    raise SystemExit(f"server_app: PEER_MODE must be suite or cached, not {MODE!r}")

STATS_SQL = """
SELECT count(*),
       avg(CASE WHEN rating > 0 THEN rating END),
       min(CASE WHEN peak_club_speed > 0 THEN peak_club_speed END),
       max(CASE WHEN peak_club_speed > 0 THEN peak_club_speed END),
       avg(CASE WHEN peak_club_speed > 0 THEN peak_club_speed END),
       coalesce(sum(num_frames), 0)
FROM recordings
"""
GROUP_SQL = "SELECT coalesce({col}, ''), count(*) FROM recordings GROUP BY 1 ORDER BY 1"

app = FastAPI()
_local = threading.local()
_cache = {}
_cache_lock = threading.Lock()
CACHE_TTL = 60.0


def _db(name, path):
    conn = getattr(_local, name, None)
    if conn is None:
        conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False)
        setattr(_local, name, conn)
    return conn


def _error(status, code, message):
    raise HTTPException(status_code=status, detail={"code": code, "message": message})


def verify(authorization):
    if not authorization or not authorization.startswith("Bearer "):
        _error(401, "unauthenticated", "an API key is required")
    key = authorization[len("Bearer "):]
    if not key.startswith("gms_") or len(key) != 47:
        _error(401, "invalid_key", "malformed API key")
    digest = hashlib.sha256(key.encode()).digest()
    if MODE == "cached":
        with _cache_lock:
            hit = _cache.get(digest)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
    prefix_hash = hashlib.sha256(key[4:12].encode()).hexdigest()
    keys = _db("keys", KEYS_DB)
    rows = keys.execute(
        "SELECT id, key_hash, scopes, expires_at FROM api_keys "
        "WHERE prefix_hash = ? AND is_active = 1 AND revoked_at IS NULL", (prefix_hash,)).fetchall()
    for key_id, key_hash, scopes, expires_at in rows:
        if not bcrypt.checkpw(key.encode(), key_hash.encode()):
            continue
        if expires_at is not None and expires_at < time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()):
            _error(401, "expired_key", "the API key has expired")
        scope_set = set(scopes.split(","))
        if MODE == "suite":
            keys.execute(
                "UPDATE api_keys SET last_used = CURRENT_TIMESTAMP, usage_count = usage_count + 1 "
                "WHERE id = ?", (key_id,))
            keys.commit()
        else:
            with _cache_lock:
                _cache[digest] = (scope_set, time.monotonic() + CACHE_TTL)
        return scope_set
    _error(401, "invalid_key", "unknown API key")


@app.exception_handler(HTTPException)
async def http_error(request, exc):
    return JSONResponse(status_code=exc.status_code, content={"error": exc.detail})


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/v1/library/stats")
def library_stats(authorization: str = Header(default=None)):
    scopes = verify(authorization)
    if "read" not in scopes and "admin" not in scopes:
        _error(403, "forbidden", "the key lacks the read scope")
    lib = _db("library", LIBRARY)
    count, avg_rating, min_speed, max_speed, avg_speed, frames = lib.execute(STATS_SQL).fetchone()
    groups = {}
    for col in ("club_type", "swing_type"):
        groups[col] = {k: n for k, n in lib.execute(GROUP_SQL.format(col=col)).fetchall()}
    return {"count": count, "avg_rating": avg_rating, "min_peak_club_speed": min_speed,
            "max_peak_club_speed": max_speed, "avg_peak_club_speed": avg_speed,
            "total_frames": frames, "by_club_type": groups["club_type"],
            "by_swing_type": groups["swing_type"]}
