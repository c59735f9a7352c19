//! Helpers shared by integration tests.

pub mod sim_flash;
