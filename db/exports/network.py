"""Seller networks as pictures and files: a self-contained HTML graph, GEXF for Gephi, the report's network
section, and the exhibit grouped by network.

The graph holds the accounts of each network, the buyers who bought from two or more of them, and every link
labelled by its kind. It is drawn as inline SVG laid out by networkx (seeded, so the same store gives the same
picture): nothing is loaded, no script runs, and every scraped string is escaped (usernames, reasons) like the
rest of the HTML report. SVG uses presentation attributes only, so the report's strict Content-Security-Policy
(no inline style attributes) still holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

import networkx as nx

from db.exports.exhibit import esc, printable
from db.network_runs import evidence_networks
from db.store import Store

KIND_COLOURS = {"contact": "#c0392b", "copy": "#8e44ad", "name": "#2471a3", "buyers": "#d68910", "bought": "#999999"}
SIZE = 420
_PAGE_STYLE = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}th{background:#f1f1f1}svg{border:1px solid #ddd;max-width:100%}"
)


def _shared_buyers(store: Store, network: Mapping[str, Any]) -> dict[str, list[str]]:
    """Buyers who bought from two or more accounts of the network -> those accounts' labels."""
    ids = [a["seller_id"] for a in network["accounts"]]
    rows = store.conn.execute(
        "SELECT DISTINCT s.marketplace || ':' || s.username, lower(r.buyer) FROM buyer_reviews r"
        f" JOIN sellers s ON s.id = r.seller_id WHERE r.seller_id IN ({', '.join('?' * len(ids))})"
        " AND r.scope != 'as_buyer'",
        ids,
    ).fetchall()
    bought: dict[str, list[str]] = defaultdict(list)
    for account, buyer in rows:
        bought[buyer].append(account)
    return {buyer: accounts for buyer, accounts in bought.items() if len(accounts) >= 2}


def network_graph(store: Store, networks: Iterable[Mapping[str, Any]]) -> nx.Graph:
    """Accounts, shared buyers and labelled links of the networks, as one networkx graph."""
    graph = nx.Graph()
    for network in networks:
        for account in network["accounts"]:
            label = f"{account['marketplace']}:{account['username']}"
            graph.add_node(label, kind="account", network=network["network"], label=account["username"],
                           marketplace=account["marketplace"], flagged=account["flagged_listings"] > 0)  # fmt: skip
        for link in network["links"]:
            key = (link["a"], link["b"])
            reasons = graph.edges[key]["reason"] + "; " if graph.has_edge(*key) else ""
            kinds = graph.edges[key]["kind"] + "+" if graph.has_edge(*key) else ""
            graph.add_edge(*key, kind=kinds + link["kind"], reason=reasons + link["reason"],
                           weight=link["strength"])  # fmt: skip
        for buyer, accounts in _shared_buyers(store, network).items():
            node = f"buyer:{buyer}"
            graph.add_node(node, kind="buyer", network=network["network"], label=buyer, flagged=False)
            for account in accounts:
                graph.add_edge(node, account, kind="bought", reason=f"{buyer} bought from it", weight=0.2)
    return graph


def write_gexf(graph: nx.Graph, fp: TextIO) -> None:
    """GEXF 1.2 (opens in Gephi), written by networkx. Node ids and text go through :func:`printable`: XML 1.0
    cannot hold a control character, and one raw in a scraped username made the whole file unreadable."""
    visible = nx.relabel_nodes(graph, {node: printable(node) for node in graph.nodes})
    for data in [*(d for _, d in visible.nodes(data=True)), *(d for *_, d in visible.edges(data=True))]:
        data.update({key: printable(value) for key, value in data.items() if isinstance(value, str)})
    for line in nx.generate_gexf(visible):
        fp.write(line + "\n")


def svg(graph: nx.Graph, nodes: list[str]) -> str:
    """One network drawn as inline SVG: accounts (red when flagged), buyers (small, grey), links by kind."""
    sub = graph.subgraph(nodes)
    positions = nx.spring_layout(sub, seed=18) if len(nodes) > 1 else {nodes[0]: (0.0, 0.0)}
    xy = {n: (SIZE / 2 + p[0] * (SIZE / 2 - 60), SIZE / 2 + p[1] * (SIZE / 2 - 40)) for n, p in positions.items()}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}"'
             ' role="img">']  # fmt: skip
    for a, b, data in sub.edges(data=True):
        (x1, y1), (x2, y2) = xy[a], xy[b]
        colour = KIND_COLOURS.get(data["kind"].split("+")[0], "#555")
        dash = ' stroke-dasharray="3 3"' if data["kind"] == "bought" else ""
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"'
                     f' stroke-width="{1 + 2 * data["weight"]:.1f}"{dash}><title>{esc(data["reason"])}</title></line>')
        if data["kind"] != "bought":
            parts.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2:.1f}" font-size="10" fill="{colour}"'
                         f' class="edge-label">{esc(data["kind"])}</text>')  # fmt: skip
    for node, data in sub.nodes(data=True):
        x, y = xy[node]
        account = data["kind"] == "account"
        fill = "#c0392b" if data["flagged"] else "#5d6d7e" if account else "#bbbbbb"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{9 if account else 5}" fill="{fill}"'
                     f' class="{"account" if account else "buyer"}"><title>{esc(node)}</title></circle>')
        parts.append(f'<text x="{x + 11:.1f}" y="{y + 4:.1f}" font-size="{12 if account else 10}"'
                     f' class="node-label">{esc(data["label"])}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _nodes_by_network(graph: nx.Graph) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for node, network in graph.nodes(data="network"):
        found[network].append(node)
    return found


def network_section(store: Store, networks: list[dict[str, Any]]) -> str:
    """The networks as HTML: per network its accounts, a drawing, and every link with its reason."""
    if not networks:
        return "<h2>Seller networks</h2>\n<p>No accounts are linked into networks.</p>\n"
    graph = network_graph(store, networks)
    nodes = _nodes_by_network(graph)
    parts = ["<h2>Seller networks</h2>\n<p>Accounts linked by shared contacts, copied listings, name variants or"
             " shared buyers; dashed grey lines are buyers who bought from two or more of them.</p>\n"]  # fmt: skip
    for network in networks:
        names = ", ".join(esc(f"{a['username']} ({a['marketplace']})") for a in network["accounts"])
        rows = "".join(f"<tr><td>{esc(link['a'])}</td><td>{esc(link['b'])}</td><td>{esc(link['kind'])}</td>"
                       f"<td>{link['strength']:g}</td><td>{esc(link['reason'])}</td></tr>"
                       for link in network["links"])  # fmt: skip
        parts.append(
            f'<section class="network" id="network-{network["network"]}"><h3>Network {network["network"]}:'
            f" {network['size']} accounts</h3>\n<p>{names}</p>\n{svg(graph, nodes[network['network']])}\n"
            "<table><tr><th>Account</th><th>Account</th><th>Kind</th><th>Strength</th><th>Reason</th></tr>"
            f"{rows}</table></section>\n"
        )
    return "".join(parts)


def write_network_html(store: Store, fp: TextIO, min_size: int = 2) -> int:
    """A standalone page of every network (no script, nothing loaded); returns the number of networks."""
    networks = evidence_networks(store, min_size)
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'; base-uri 'none'"
    fp.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n<meta name="referrer" content="no-referrer">\n'
        f"<title>gigscan: seller networks</title>\n<style>{_PAGE_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>gigscan: seller networks ({len(networks)})</h1>\n"
    )
    fp.write(network_section(store, networks))
    fp.write("</body>\n</html>\n")
    return len(networks)


def write_gexf_export(store: Store, fp: TextIO, min_size: int = 2) -> int:
    """Every network as GEXF; returns the number of networks."""
    networks = evidence_networks(store, min_size)
    write_gexf(network_graph(store, networks), fp)
    return len(networks)


def write_exhibit_by_network(store: Store, flagged: Iterable[Mapping[str, Any]], fp: TextIO, *,
                             preamble: Iterable[str] = ()) -> int:  # fmt: skip
    """The exhibit numbered by operation: each network's accounts together, with its evidence summary, then the
    flagged sellers in no network. Numbering runs on across groups, as one exhibit."""
    networks = evidence_networks(store)
    in_network = {(a["marketplace"], a["username"].casefold()) for n in networks for a in n["accounts"]}
    alone = sorted({(r["marketplace"], r["username"]) for r in flagged}, key=lambda s: s[1].casefold())
    alone = [s for s in alone if (s[0], s[1].casefold()) not in in_network]
    fp.write("Exhibit A (by network)\n")
    for line in preamble:
        fp.write(f"{printable(line)}\n")
    grouped = sum(n["size"] for n in networks)
    total = grouped + len(alone)
    fp.write(f"{total} account(s): {grouped} in {len(networks)} network(s), {len(alone)} in none\n")
    width, number = len(str(max(total, 1))), 0
    for network in networks:
        kinds = ", ".join(f"{count} {kind}" for kind, count in network["link_kinds"].items())
        fp.write(f"\nNetwork {network['network']}: {network['size']} accounts on "
                 f"{', '.join(map(printable, network['marketplaces']))}; links: {kinds}\n")  # fmt: skip
        for account in network["accounts"]:
            number += 1
            note = "" if account["flagged_listings"] else "  (no flagged listing; linked)"
            fp.write(f"{number:>{width}}. {printable(account['username'])} ({printable(account['marketplace'])})"
                     f"{note}\n")  # fmt: skip
        for link in network["links"]:
            fp.write(f"{'':>{width}}  - {printable(link['a'])} / {printable(link['b'])}: {printable(link['reason'])}\n")
    if alone:
        fp.write("\nIn no network\n")
    for marketplace, username in alone:
        number += 1
        fp.write(f"{number:>{width}}. {printable(username)} ({printable(marketplace)})\n")
    return number

