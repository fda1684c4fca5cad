"""Seller networks kept in the store: computed once per state of the evidence, read back by the commands.

Clustering the whole store takes seconds to minutes; looking one account up must take milliseconds. So a
computation (``network_runs``, with its members and links) is stored with the evidence log's last sequence
number, and reused until new evidence arrives (or ``refresh`` is asked). Older computations stay: what a report
said on a given day can be shown again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from db.evidence import canonical_json, utc_now
from db.networks import MAX_CONTACT_HOLDERS, MAX_HOLDERS, THRESHOLD, Graph, build_graph, components
from db.similarity import COPY_THRESHOLD

if TYPE_CHECKING:
    from db.store import Store

PARAMS = {"threshold": THRESHOLD, "copy_threshold": COPY_THRESHOLD, "max_holders": MAX_HOLDERS,
          "max_contact_holders": MAX_CONTACT_HOLDERS, "version": 1}


def _log_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM evidence_log").fetchone()[0]


def _params(conn: sqlite3.Connection) -> str:
    """The parameters and the state of what networks are computed from: the evidence log's end, and the sellers
    (a seller's details are updated in place, with no log entry of their own when they came without a page)."""
    newest, last_seen = conn.execute("SELECT MAX(id), MAX(last_seen) FROM sellers").fetchone()  # both indexed
    return canonical_json({**PARAMS, "sellers": newest, "sellers_last_seen": last_seen})


def current_run(conn: sqlite3.Connection) -> int | None:
    """The latest computation if nothing was stored since it (and it used today's parameters)."""
    row = conn.execute("SELECT id, log_seq, params FROM network_runs ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or row[1] != _log_seq(conn) or row[2] != _params(conn):
        return None
    return row[0]


@dataclass(frozen=True)
class Clustering:
    """One computation of the whole store: every link, and the networks (connected components at ``THRESHOLD``,
    largest first, numbered from 1). What ``compute`` keeps, ``_in_memory`` shows and ``_computed`` checks the kept
    one against: made in one place, so the three cannot drift apart."""

    graph: Graph
    networks: list[list[int]]

    @cached_property
    def member_of(self) -> dict[int, int]:
        """Each account in a network -> the network's number."""
        return {account: n for n, members in enumerate(self.networks, 1) for account in members}


def cluster(conn: sqlite3.Connection) -> Clustering:
    """Cluster the whole store from its chained rows (seconds to minutes on a large store)."""
    graph = build_graph(conn)
    return Clustering(graph, components(graph, THRESHOLD))


def compute(store: Store) -> int:
    """Cluster the whole store and keep the result; returns the computation's id."""
    started = time.perf_counter()
    found = cluster(store.conn)
    graph, member_of = found.graph, found.member_of
    with store._write() as conn:
        cursor = conn.execute(
            "INSERT INTO network_runs (computed_at, log_seq, threshold, params, seconds) VALUES (?, ?, ?, ?, ?)",
            (utc_now(), _log_seq(conn), THRESHOLD, _params(conn), time.perf_counter() - started),
        )
        run_id = cursor.lastrowid
        conn.executemany(
            "INSERT INTO network_members (run_id, network, seller_id, flagged_listings) VALUES (?, ?, ?, ?)",
            [(run_id, n, account, graph.accounts[account].flagged_listings) for account, n in member_of.items()],
        )
        conn.executemany(
            "INSERT INTO network_links (run_id, a_id, b_id, kind, strength, reason, evidence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, link.a, link.b, link.kind, link.strength, link.reason, canonical_json(link.evidence))
             for link in graph.links],
        )  # fmt: skip
    assert run_id is not None
    return run_id


def ensure_run(store: Store, refresh: bool = False) -> int:
    """The computation to read: the current one, or a new one when the store changed (or ``refresh``)."""
    run_id = None if refresh else current_run(store.conn)
    return run_id if run_id is not None else compute(store)


_ACCOUNT_KEYS = ("id", "marketplace", "username", "display_name", "country", "first_seen", "last_seen",
                 "flagged_listings")  # fmt: skip
_ACCOUNT_SQL = (
    "SELECT s.id, s.marketplace, s.username, s.display_name, s.country, s.first_seen, s.last_seen,"
    " (SELECT COUNT(*) FROM listings l WHERE l.seller_id = s.id AND l.flagged = 1) FROM sellers s"
)
_LINK_SQL = "SELECT a_id, b_id, kind, strength, reason, evidence FROM network_links k WHERE k.run_id = ?"


def _link_out(row: tuple[Any, ...]) -> dict[str, Any]:
    a, b, kind, strength, reason, evidence = row
    return {"a": a, "b": b, "kind": kind, "strength": strength, "reason": reason, "evidence": json.loads(evidence)}


def _accounts(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = conn.execute(f"{_ACCOUNT_SQL} WHERE s.id IN ({', '.join('?' * len(ids))})", ids).fetchall()
    return {row[0]: dict(zip(_ACCOUNT_KEYS, row, strict=True)) for row in rows}


def _links(conn: sqlite3.Connection, run_id: int, ids: list[int]) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"{_LINK_SQL} AND a_id IN ({marks}) AND b_id IN ({marks}) ORDER BY strength DESC, id",
                        (run_id, *ids, *ids)).fetchall()  # fmt: skip
    return [_link_out(row) for row in rows]


def _network(conn: sqlite3.Connection, run_id: int, number: int, ids: list[int]) -> dict[str, Any]:
    return _assemble(run_id, number, _accounts(conn, ids), _links(conn, run_id, ids))


def _assemble(run_id: int | None, number: int, accounts: dict[int, dict[str, Any]],
              links: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """One network as the commands show it: accounts (flagged first), marketplaces, links by label."""
    label = {i: f"{a['marketplace']}:{a['username']}" for i, a in accounts.items()}
    for link in links:
        link["a"], link["b"] = label[link["a"]], label[link["b"]]
    members = sorted(accounts.values(), key=lambda a: (-a["flagged_listings"], a["marketplace"], a["username"]))
    kinds: dict[str, int] = defaultdict(int)
    for link in links:
        kinds[link["kind"]] += 1
    return {
        "network": number,
        "size": len(members),
        "accounts": [{("seller_id" if k == "id" else k): v for k, v in a.items()} for a in members],
        "marketplaces": sorted({a["marketplace"] for a in members}),
        "link_kinds": dict(sorted(kinds.items())),
        "links": links,
        "computation": run_id,
    }


def _in_memory(store: Store, min_size: int) -> list[dict[str, Any]]:
    """The networks computed and not kept: for readers inside a read snapshot (exports), which write nothing."""
    clustering = cluster(store.conn)
    member_of = clustering.member_of
    links: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for link in sorted(clustering.graph.links, key=lambda k: -k.strength):
        n = member_of.get(link.a)
        if n is not None and n == member_of.get(link.b):
            links[n].append({"a": link.a, "b": link.b, "kind": link.kind, "strength": link.strength,
                             "reason": link.reason, "evidence": link.evidence})  # fmt: skip
    found = []
    for n, ids in enumerate(clustering.networks, 1):
        if len(ids) >= min_size:
            found.append(_assemble(None, n, _accounts(store.conn, ids), links[n]))
    return found


def _computed(conn: sqlite3.Connection) -> tuple[set[frozenset[int]], set[tuple[Any, ...]]]:
    """The networks (of two accounts or more) and their links as computed now from the chained rows."""
    found = cluster(conn)
    groups = {frozenset(ids) for ids in found.networks if len(ids) > 1}
    links = {(link.a, link.b, link.kind, link.strength, link.reason, canonical_json(link.evidence))
             for link in found.graph.links}  # fmt: skip
    return groups, links


def _stored(conn: sqlite3.Connection, run_id: int) -> tuple[set[frozenset[int]], set[tuple[Any, ...]]]:
    groups: dict[int, set[int]] = defaultdict(set)
    for network, seller_id in conn.execute(
        "SELECT network, seller_id FROM network_members WHERE run_id = ?", (run_id,)
    ):
        groups[network].add(seller_id)
    links = {tuple(row) for row in conn.execute(
        "SELECT a_id, b_id, kind, strength, reason, evidence FROM network_links WHERE run_id = ?", (run_id,))}
    return {frozenset(ids) for ids in groups.values() if len(ids) > 1}, links


def check_current_run(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """The stored computation the networks commands would show now, held to a fresh computation from the chained
    rows: it is a cache no log entry covers, so a member or link added by hand would otherwise show as evidence.
    Older computations are history of what was shown; the state they came from is gone, so only this one is
    checked. ``(run id, what differs)`` or None."""
    run_id = current_run(conn)
    if run_id is None:
        return None
    (groups, links), (stored_groups, stored_links) = _computed(conn), _stored(conn, run_id)
    if groups != stored_groups:
        return run_id, "its networks differ from those the evidence gives (a member added, moved or removed)"
    if links != stored_links:
        return run_id, "its links differ from those the evidence gives (a link added, edited or removed)"
    return None


def evidence_networks(store: Store, min_size: int = 2) -> list[dict[str, Any]]:
    """The networks as exports show them: computed now from the chained rows, never read back from a stored
    computation. ``network_runs`` and its members and links are a cache no log entry covers: an account added
    to one by hand appeared in the exhibit by network while ``verify`` passed."""
    return _in_memory(store, min_size)


def list_networks(store: Store, min_size: int = 2, refresh: bool = False) -> list[dict[str, Any]]:
    """Every network of at least ``min_size`` accounts, largest first, each with its links and their reasons.
    Inside a read transaction (an export's snapshot) a stale computation is replaced in memory, not stored."""
    if store.conn.in_transaction and (refresh or current_run(store.conn) is None):
        return _in_memory(store, min_size)
    run_id = ensure_run(store, refresh)
    groups: dict[int, list[int]] = defaultdict(list)
    for network, seller_id in store.conn.execute(
        "SELECT network, seller_id FROM network_members WHERE run_id = ? ORDER BY network, seller_id", (run_id,)
    ):
        groups[network].append(seller_id)
    chosen = [(n, ids) for n, ids in groups.items() if len(ids) >= min_size]
    chosen.sort(key=lambda item: (-len(item[1]), item[0]))
    # Every network's accounts and links in two queries, not two per network.
    conn = store.conn
    accounts = {row[0]: dict(zip(_ACCOUNT_KEYS, row, strict=True)) for row in conn.execute(
        "SELECT s.id, s.marketplace, s.username, s.display_name, s.country, s.first_seen, s.last_seen,"
        " m.flagged_listings FROM sellers s JOIN network_members m ON m.seller_id = s.id WHERE m.run_id = ?",
        (run_id,))}  # fmt: skip
    network_of_account = {seller_id: n for n, ids in groups.items() for seller_id in ids}
    links: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(f"{_LINK_SQL} ORDER BY strength DESC, id", (run_id,)):
        n = network_of_account.get(row[0])
        if n is not None and n == network_of_account.get(row[1]):
            links[n].append(_link_out(row))
    return [_assemble(run_id, n, {i: accounts[i] for i in ids}, links[n]) for n, ids in chosen]


def network_of(store: Store, username: str, refresh: bool = False) -> list[dict[str, Any]]:
    """The network of each stored account with this username (any marketplace); an account in no network
    is shown alone, with whatever weaker links it has."""
    run_id = ensure_run(store, refresh)
    sellers = [row[0] for row in store.conn.execute("SELECT id FROM sellers WHERE username = ?", (username,))]
    found = []
    for seller_id in sellers:
        row = store.conn.execute(
            "SELECT network FROM network_members WHERE run_id = ? AND seller_id = ?", (run_id, seller_id)
        ).fetchone()
        if row is None:
            alone = _network(store.conn, run_id, 0, [seller_id])
            alone["weak_links"] = _weak_links(store.conn, run_id, seller_id)
            found.append(alone)
            continue
        ids = [r[0] for r in store.conn.execute(
            "SELECT seller_id FROM network_members WHERE run_id = ? AND network = ?", (run_id, row[0]))]
        found.append(_network(store.conn, run_id, row[0], ids))
    return found


def _weak_links(conn: sqlite3.Connection, run_id: int, seller_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT sa.marketplace || ':' || sa.username, sb.marketplace || ':' || sb.username, kind, strength, reason"
        " FROM network_links n JOIN sellers sa ON sa.id = n.a_id JOIN sellers sb ON sb.id = n.b_id"
        " WHERE run_id = ? AND (a_id = ? OR b_id = ?)",
        (run_id, seller_id, seller_id),
    ).fetchall()
    return [dict(zip(("a", "b", "kind", "strength", "reason"), row, strict=True)) for row in rows]
