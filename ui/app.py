"""The page script of a source checkout: ``streamlit run ui/app.py``.

The page's layout is `qa.serve.page` (inside the package, so that an installed ``qa ui``
serves it too); this script only runs it.
"""

from qa.serve.page import main

main()
