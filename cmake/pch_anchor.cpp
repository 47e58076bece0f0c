// Anchor translation unit for the shared precompiled header.
int distdiff_pch_anchor() { return 0; }
