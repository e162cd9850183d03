//! phone (in progress)
