//! The account pages reached from an email or the sign-in page: "Forgot password"
//! (`/forgot`), choosing a new password from the emailed link (`/reset`), and
//! finishing a customer's registration by choosing the password (`/portal/verify`). Anyone may open them:
//! a visitor sees the page alone, someone signed in sees it inside the app.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{check_registration_link, FinishRegistration, ForgotPassword, ResetPassword};
use super::model::email_problem;
use super::pages::{NewPasswordFields, ProtectedWith};
use super::policy::Access;
use crate::error::AppError;
use crate::ui::{failure, kept_value, live_message, load_page, message_outside, on_success, Field};

/// The card every account page sits in: the brand, the heading, the content.
#[component]
fn AccountCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="auth-card">
            <div class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"G"</span><span class="brand-name">"Grip"</span></div>
            <h1>{title}</h1>
            {children()}
        </div>
    }
}

/// A page with nothing to load but the session (the guard still decides first).
fn nothing_to_load() -> Resource<Result<(), AppError>> {
    Resource::new(|| (), |_| async { Ok::<(), AppError>(()) })
}

/// `/forgot`: asks for the account's email and sends a reset link. The answer is the
/// same whether or not an account uses that email.
#[component]
pub fn ForgotPage() -> impl IntoView {
    let data = nothing_to_load();
    view! {
        <Title text="Forgot password · Grip"/>
        <ProtectedWith access=Access::Public data render=|_: ()| view! { <ForgotForm/> }.into_any()/>
    }
}

#[component]
fn ForgotForm() -> impl IntoView {
    let forgot = ServerAction::<ForgotPassword>::new();
    let query = use_query_map();
    let sent_in_address = query.with_untracked(|q| q.get("sent").is_some());
    let sent = move || sent_in_address || matches!(forgot.value().get(), Some(Ok(_)));
    let email = RwSignal::new(kept_value(ForgotPassword::PATH, "email").unwrap_or_default());
    let error = failure(forgot.value());
    let email_error = live_message(error, "email", email, email_problem);
    let other_error = message_outside(error, &["email"]);
    view! {
        <AccountCard title="Forgot your password?">
            {move || if sent() {
                view! {
                    <p role="status" class="notice">"If an account uses that email, we have sent it a link to choose a new password. The link works once, for one hour."</p>
                    <p><a href="/login">"Back to sign in"</a></p>
                }.into_any()
            } else {
                view! {
                    <p class="muted">"Enter your account's email and we will send you a link to choose a new password."</p>
                    <ActionForm action=forgot>
                        <Field label="Email" name="email" kind="email" autocomplete="email" required=true value=email error=email_error/>
                        <p class="form-error" role="alert">{other_error}</p>
                        <button type="submit" class="button primary wide" disabled=move || forgot.pending().get()>
                            {move || if forgot.pending().get() { "Sending…" } else { "Send the link" }}
                        </button>
                    </ActionForm>
                    <p><a href="/login">"Back to sign in"</a></p>
                }.into_any()
            }}
        </AccountCard>
    }
}

/// Whether the reset link `token` can still be used (unused, not expired).
#[server(prefix = "/api", endpoint = "password/reset/check")]
pub async fn check_reset_link(token: String) -> Result<bool, AppError> {
    crate::api::respond(
        async {
            let state = crate::state::app_state()?;
            super::links::reset_link_usable(&state.db, &token).await
        }
        .await,
    )
}

/// `/reset?token=…`: chooses a new password with the emailed link, then signs in.
#[component]
pub fn ResetPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let data = Resource::new(token, check_reset_link);
    view! {
        <Title text="Choose a new password · Grip"/>
        <ProtectedWith access=Access::Public data
            render=move |usable: bool| view! { <ResetForm token=token() usable/> }.into_any()/>
    }
}

#[component]
fn ResetForm(token: String, usable: bool) -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    // Signed in with the new password: a fresh start on the person's home page.
    on_success(reset.value(), |home: String| load_page(&home));
    let error = failure(reset.value());
    let refused = error.get_untracked().is_some();
    let (password, confirm) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let other_error = message_outside(error, &["password", "confirm"]);
    view! {
        <AccountCard title="Choose a new password">
            {if usable || refused {
                view! {
                    <p class="muted">"This signs you out on every other device."</p>
                    <ActionForm action=reset>
                        <input type="hidden" name="token" value=token/>
                        <NewPasswordFields password confirm server_error=error/>
                        <p class="form-error" role="alert">{other_error}</p>
                        <button type="submit" class="button primary wide" disabled=move || reset.pending().get()>
                            {move || if reset.pending().get() { "Saving…" } else { "Set the new password" }}
                        </button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <p class="form-error" role="alert">"This link has expired or was already used."</p>
                    <p><a class="button secondary" href="/forgot">"Send a new link"</a></p>
                }.into_any()
            }}
        </AccountCard>
    }
}

/// `/portal/verify?token=…`: the link a registration emails. Opening it changes
/// nothing; its owner chooses a password here, which creates the account and signs in.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let data = Resource::new(token, check_registration_link);
    view! {
        <Title text="Finish creating your account · Grip"/>
        <ProtectedWith access=Access::Public data
            render={move |email: Option<String>| view! { <FinishForm token=token() email/> }.into_any()}/>
    }
}

#[component]
fn FinishForm(token: String, email: Option<String>) -> impl IntoView {
    let finish = ServerAction::<FinishRegistration>::new();
    // Signed in: a fresh start on the portal.
    on_success(finish.value(), |home: String| load_page(&home));
    let error = failure(finish.value());
    let refused = error.get_untracked().is_some();
    let (password, confirm) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let other_error = message_outside(error, &["password", "confirm"]);
    view! {
        <AccountCard title="Finish creating your account">
            {if email.is_some() || refused {
                view! {
                    {email.map(|e| view! { <p class="muted">{format!("Choose the password for {e}.")}</p> })}
                    <ActionForm action=finish>
                        <input type="hidden" name="token" value=token/>
                        <NewPasswordFields password confirm server_error=error/>
                        <p class="form-error" role="alert">{other_error}</p>
                        <button type="submit" class="button primary wide" disabled=move || finish.pending().get()>
                            {move || if finish.pending().get() { "Creating…" } else { "Create my account" }}
                        </button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <p class="form-error" role="alert">"This link has expired or was already used."</p>
                    <p><a class="button secondary" href="/portal/register">"Send a new link"</a></p>
                    <p><a href="/login">"Sign in"</a></p>
                }.into_any()
            }}
        </AccountCard>
    }
}
