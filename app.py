"""warlens: the home page, the corpus at a glance.

Streamlit runs this file as ``__main__`` for every view of the Overview page. `streamlit
run app.py` first imports it once as a module, to serve it: ``app`` is then Streamlit's
own server with warlens's additions (a shared link's first view drawn in its HTML, and
Streamlit's files sent compressed from memory; see warlens/ui/server.py).
"""

import streamlit as st

if __name__ == "__main__":
    from warlens.ui import overview, shell

    view = shell.start("Overview")
    overview.draw(view)
else:
    from warlens.ui import server

    app = st.App(__file__, middleware=server.middleware(), lifespan=server.lifespan)
