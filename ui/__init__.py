"""The Streamlit pages of creditfarm (one module per page) and their shared helpers."""
