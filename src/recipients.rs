//! recipients (in progress)
