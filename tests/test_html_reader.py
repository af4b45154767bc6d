"""One HTML reader: the links the crawl stores are the links the page model judges, on a messy page.

The page is served on loopback and crawled by the real spider (Scrapy, SQLite); the judge's page
model is then built from the stored snapshot, as evaluation does. Both must read the same links:
same URLs (base href honoured, fragments dropped), same anchor texts, same positions.
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys

from egov_audit.app import fixtureserver
from egov_audit.html.document import Document
from egov_audit.page.site import Site
from egov_audit.store.db import Store

MESSY = """<!doctype html>
<html lang="es"><head><title>Ayuntamiento</title><base href="/sub/">
<meta http-equiv="refresh" content="600">
<script>var a = '<a href="/in-script.html">no</a>';</script></head>
<body>
<header><a href="/"><svg><title>Logo icon</title></svg>Inicio</a> <a href="JavaScript:void(0)">Menú</a></header>
<nav><ul>
  <li><a href="tramites.html">Trámites</a></li>
  <li><a href="tramites.html#online">Trámites</a></li>
  <li><a href="tramites.html">Trámites en línea</a></li>
  <li><a href="../noticias/">Noticias</a></li>
  <li><a href="#contenido">Saltar al contenido</a></li>
</ul></nav>
<div class="site-menu"><a href="{{origin}}/datos/">Datos abiertos</a></div>
<main id="contenido">
  <p>Escríbanos a <a href="mailto:info@ayto.example">info@ayto.example</a> o llame al
     <a href="tel:+34900000000">900 000 000</a>.</p>
  <p><a href="presupuesto.html" rel="nofollow"><img src="p.png" alt="Presupuesto 2026"></a>
     <a href="presupuesto.html" aria-label="Presupuesto municipal"></a>
     <a href="data:text/html,hola">datos en línea</a> <a href="http://[roto/">roto</a>
     <a href="  /espacios.html  ">Espacios</a></p>
  <noscript><a href="/sin-js.html">Versión sin JavaScript</a></noscript>
  <template><a href="/plantilla.html">Plantilla</a></template>
  <map name="m"><area href="/mapa/distrito-1.html" alt="Distrito 1"></map>
  <!-- <a href="/comentado.html">comentado</a> -->
</main>
<footer><a href="/aviso-legal.html">Aviso legal</a> · <a href="/aviso-legal.html">Aviso legal</a>
  <a href="https://www.boe.es/">BOE</a></footer>
</body></html>
"""

SITE_YAML = "hosts:\n  main: {address: 127.0.0.1, root: www}\n"


def _crawl(tmp_path):
    (tmp_path / "site" / "www").mkdir(parents=True)
    (tmp_path / "site" / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    (tmp_path / "site" / "www" / "index.html").write_text(MESSY, encoding="utf-8")
    site = fixtureserver.start(tmp_path / "site")
    db = tmp_path / "messy.db"
    try:
        home = site.url("/")
        subprocess.run([sys.executable, "-m", "egov_audit.app.cli", "crawl", home, "--db", str(db), "--fast", "--no-w3c-and-engines",
                        "--render", "never", "--max-pages", "5", "--max-external", "0"],
                       check=True, timeout=180, capture_output=True)
    finally:
        site.stop()
    return db, home


def test_crawl_and_page_model_read_the_same_links(tmp_path):
    db, home = _crawl(tmp_path)
    origin = home.rstrip("/")
    conn = sqlite3.connect(db)
    stored = {(to_url, anchor, position) for to_url, anchor, position in conn.execute(
        "SELECT to_url, anchor, position FROM links WHERE from_url = ?", (home,))}
    conn.close()

    store = Store(db)
    try:
        run_id = store.conn.execute("SELECT id FROM runs").fetchone()[0]
        page = Site(store, run_id).page(home)
        assert page is not None and page.html, "the home page's snapshot was not stored"
        judged = {(l.url, l.anchor_original, l.position) for l in page.links if l.url.startswith("http")}
        contact = sorted(l.href for l in page.links if not l.url.startswith("http"))
    finally:
        store.close()

    assert stored == judged
    expected = {
        (f"{origin}/", "Inicio", "header"),                                   # the icon's <svg><title> is not read
        (f"{origin}/sub/tramites.html", "Trámites", "navigation"),            # base href, fragment dropped
        (f"{origin}/sub/tramites.html", "Trámites en línea", "navigation"),
        (f"{origin}/noticias/", "Noticias", "navigation"),
        (f"{origin}/datos/", "Datos abiertos", "navigation"),                 # class hint: site-menu
        (f"{origin}/sub/presupuesto.html", "Presupuesto 2026", "body"),       # image alt
        (f"{origin}/sub/presupuesto.html", "Presupuesto municipal", "body"),  # aria-label
        (f"{origin}/espacios.html", "Espacios", "body"),
        (f"{origin}/mapa/distrito-1.html", "", "body"),
        (f"{origin}/aviso-legal.html", "Aviso legal", "footer"),
        ("https://www.boe.es/", "BOE", "footer"),
    }
    assert stored == expected
    # the judge also reads contact links, which the crawl neither follows nor stores
    assert contact == ["mailto:info@ayto.example", "tel:+34900000000"]


def test_reader_reads_forms_and_head_once_for_everyone():
    doc = Document("""<html lang="fr"><head><base href="https://ville.example/recherche/">
        <meta name="viewport" content="width=device-width"><link rel="alternate" hreflang="en" href="/en/"></head>
        <body><form action="resultats" role="search"><input type="hidden" name="site" value="1">
        <select name="type"><option>Tout</option></select><input name="q" placeholder="Rechercher"></form>
        <form method="POST"><label for="m">Courriel</label><input id="m" type="email" name="mail"><button>OK</button></form>
        </body></html>""", "https://ville.example/accueil")
    search, contact = doc.forms
    assert search.is_search and search.method == "get"
    assert search.submit_url == "https://ville.example/recherche/resultats"     # base href applies to actions
    assert [(c.kind, c.name) for c in search.controls] == [("hidden", "site"), ("select", "type"), ("text", "q")]
    assert [c.name for c in search.fields] == ["type", "q"]
    assert not contact.is_search and contact.method == "post" and contact.submit_url == "https://ville.example/accueil"
    assert [(c.kind, c.label.strip()) for c in contact.fields] == [("email", "Courriel")]
    assert doc.head["viewport"] and doc.head["hreflang"] == ["en"] and doc.head["html_lang"] == "fr"


def test_search_probe_takes_the_readers_form():
    from crawler.gatherers import search_probe
    doc = Document("""<html><head><title>Ville</title><base href="https://ville.example/outils/"></head><body>
        <a href="/a">Démarches administratives</a><a href="/b">Démarches en ligne</a>
        <form action="chercher"><select name="q"><option>x</option></select><input type="hidden" name="lang" value="fr">
        <input type="search" name="texte"></form></body></html>""", "https://ville.example/")
    probe = search_probe(doc)
    # the select named like a search field is not where a visitor types: the search input is
    assert probe["field"] == "texte"
    assert probe["url"] == "https://ville.example/outils/chercher?lang=fr&texte=d%C3%A9marches"
    assert probe["control_url"].endswith("texte=zqxjvkwpy")
    assert search_probe(Document("<html><body><p>no form</p></body></html>", "https://ville.example/")) is None
