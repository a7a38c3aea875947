"""Presentation of the weekly release-health report.

It imports nothing else of the project; the warehouse side fills its model.

* :mod:`reports.model` — the dataclasses the warehouse side fills (the contract).
* :mod:`reports.render` — ``render_weekly`` / ``render_archive``: HTML strings.
* :mod:`reports.publish` — ``publish_weekly`` / ``publish_archive``: files on disk.
* :mod:`reports.png_export` — ``export_pngs``: optional static images via kaleido.
* :mod:`reports.charts`, :mod:`reports.environment_charts` — one function per figure.
* :mod:`reports.theme` — every colour, font and size.

This package ``__init__`` stays import-free so reading the model stays cheap.
"""
