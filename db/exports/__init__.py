"""Export writers: everything that turns stored evidence into files for people and other tools.

- :mod:`db.exports.flagged`: the flagged-listings query (filters) and CSV / JSON Lines writers, ``safe_cell``
- :mod:`db.exports.xlsx`: spreadsheets (openpyxl)
- :mod:`db.exports.report`: the self-contained HTML report
- :mod:`db.exports.exhibit`: the numbered exhibit list of usernames
- :mod:`db.exports.warc`: the captured responses as WARC 1.1
- :mod:`db.exports.bundle`: a zip for counsel with a SHA-256 manifest

Scraped text is hostile: every writer escapes or neutralises it for its format.
"""
