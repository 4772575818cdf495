"""Sphinx configuration for the sknml documentation site."""

import os
import tempfile
from pathlib import Path

import sknml
from sknml._docs import DOCS_URL

# Examples load the bundled MiniLM model; nothing may reach the network, and
# their embedding caches go to a build-time directory, never the user's home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault(
    "SKNML_CACHE", str(Path(tempfile.gettempdir()) / "sknml-docs-cache")
)

project = "sknml"
author = "sknml developers"
copyright = "2024-2026, sknml developers"
release = sknml.__version__
version = release
# Canonical page addresses; estimators' HTML repr links here too.
html_baseurl = DOCS_URL

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sknml",),
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "reset_modules": ("matplotlib",),
    "matplotlib_animations": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sknml {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
}
html_static_path = ["_static"]
html_css_files = ["sknml.css"]


# Without internet there is no intersphinx: references into these packages stay
# plain text; a nitpicky build (-n) then reports only references into sknml.
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(sklearn|imblearn|torch|joblib|numpy|scipy|pathlib|argparse|skorch)\..*",
    ),
    (r"py:class", r"Module"),
]


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Document inherited members only where sknml defines them.

    The methods scikit-learn, imbalanced-learn and torch provide are documented on
    their own sites; their docstrings point at labels of those sites.
    """
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and callable(obj) and not module.startswith("sknml"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
