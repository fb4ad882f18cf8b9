"""The only Streamlit-importing part of the package: cached loaders and shared widgets."""
