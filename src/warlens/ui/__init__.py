"""The Streamlit layer: the only package in warlens that imports streamlit."""
