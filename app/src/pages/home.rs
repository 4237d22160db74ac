//! `/`: signed out, an invitation to sign in; signed in, the user's tokens.

use leptos::prelude::*;
use leptos_meta::Title;

use super::pat_table::{use_pat_query, PatTable};
use crate::{MeResource, SignInLink};

#[component]
pub fn HomePage() -> impl IntoView {
    let me = expect_context::<MeResource>();
    let pats = use_pat_query();
    view! {
        <Title text="Azure DevOps token portal" />
        <Suspense fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match me.await.map(|v| v.user) {
                    Ok(Some(me)) => view! {
                        <section class="greeting">
                            <h1>"Hello, " {me.name.clone()}</h1>
                            <p class="muted">{me.username.clone()}</p>
                        </section>
                        <PatTable query=pats />
                    }.into_any(),
                    Ok(None) => view! {
                        <section class="card hero">
                            <h1>"Your Azure DevOps tokens, in order"</h1>
                            <p>
                                "Sign in with your Microsoft work account to see your personal access tokens, "
                                "which are about to expire, and which you no longer need."
                            </p>
                            <SignInLink label="Sign in" />
                        </section>
                    }.into_any(),
                    Err(e) => view! {
                        <section class="card error" role="alert"><p>{e.to_string()}</p></section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
