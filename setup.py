"""Package layout only (metadata lives in pyproject.toml).

The repository keeps its top-level folders; the wheel installs them under one distinctive
namespace, so an instructor's own ``exercises/``, ``templates/`` or ``grader/`` folder can never
shadow what ``pip install convgrade`` put there. Subpackages are discovered, not listed.
"""

from setuptools import find_namespace_packages, setup

#: installed package name -> repository folder
ROOTS = {
    "convgrade": "convgrade",
    "convgrade.exercises": "exercises",
    "convgrade.grader": "grader",
    "convgrade.templates": "templates",
}

packages = []
for name, folder in ROOTS.items():
    # namespace discovery: template and data folders (no __init__.py) ship as package data
    subs = find_namespace_packages(folder, exclude=["*__pycache__*"])
    packages += [name, *(f"{name}.{sub}" for sub in subs)]

setup(packages=packages, package_dir=ROOTS)
