"""mammofm: breast-imaging foundation models, from DICOM archives and reports to benchmarks.

Importing the package has no side effects and loads no heavy dependency; import the parts
(``mammofm.birads``, ``mammofm.dicom``, ``mammofm.preprocess``, ...) you need.
"""

__version__ = "0.1.0"
