//! The axum server of the Azure DevOps token portal: configuration, OIDC client, sessions, DevOps client, the portal's use cases, and the HTTP layer around the Leptos app.
//!
//! Reading order: `serve::start` binds and serves; `state::AppState::new` builds everything from
//! the `config::Config`; `router::router` assembles the routes and the middlewares of `http`.
// The Leptos views the server renders are deeply nested types (as in `app` and `frontend`).
#![recursion_limit = "256"]

pub mod assets;
pub mod config;
/// The demo stack (its own crate), re-exported for demo mode and the tests.
pub use demo_stack as demo;
pub mod devops;
pub mod devops_scopes;
pub mod http;
mod identity;
pub mod metrics;
pub mod oidc;
pub mod portal;
pub mod router;
pub mod secret;
pub mod serve;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use router::router;
pub use serve::{leptos_options, start, Running};
pub use startup::StartupError;
pub use state::{AppState, SESSION_COOKIE, SESSION_COOKIE_HTTPS};
