//! send (in progress)
