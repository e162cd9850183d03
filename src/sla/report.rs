//! Report renderers (in progress)
