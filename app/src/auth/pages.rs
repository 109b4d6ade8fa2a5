//! The first-run setup page, the sign-in page, and the guard every page sits behind.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};

use super::api::{Login, Register, SetupAdmin};
use super::model::{confirm_problem, email_problem, name_problem, password_problem, SessionInfo};
use super::policy::Access;
use super::shell::AppShell;
use super::CurrentUser;
use crate::error::AppError;
use crate::ui::{
    encode_query_value, live_message, load_page, set_status, AuthCard, ErrorPanel, Field,
    ForbiddenPage, FormError, NotFoundPage,
};

/// The session, loaded once per page load (blocking, so redirects and status codes
/// are decided before the server sends any HTML).
#[derive(Clone, Copy)]
pub struct AuthContext {
    pub session: Resource<Result<SessionInfo, AppError>>,
}

pub fn provide_auth() {
    let session = Resource::new_blocking(|| (), |_| super::api::get_session_info());
    provide_context(AuthContext { session });
    // What a refused form kept (`ui::kept_value`).
    provide_context(crate::ui::RefusedForm(Signal::derive(move || {
        session.with(|s| {
            s.as_ref()
                .and_then(|s| s.as_ref().ok())
                .and_then(|info| info.kept.clone())
        })
    })));
    // Times on the page are shown in the signed-in person's zone (`ui::time`).
    provide_context(crate::ui::time::ViewerZone(Signal::derive(move || {
        session.with(|s| {
            s.as_ref()
                .and_then(|s| s.as_ref().ok())
                .and_then(|info| info.time_zone.clone())
        })
    })));
}

fn use_auth() -> AuthContext {
    expect_context::<AuthContext>()
}

/// The message for `field` from a failed server call.
fn server_message(value: Option<Result<String, AppError>>, field: &'static str) -> Option<String> {
    value
        .and_then(|r| r.err())
        .and_then(|e| e.message_for(field))
}

fn server_error(value: Option<Result<String, AppError>>) -> Option<AppError> {
    value.and_then(|r| r.err())
}

/// Waits for the session (a blocking resource, so this is decided before the server
/// sends any byte), shows the one error panel when it cannot be loaded, and
/// otherwise renders what `render` makes of it. Every page that depends on who is
/// signed in goes through here.
#[component]
fn WithSession<F>(render: F) -> impl IntoView
where
    F: Fn(SessionInfo) -> AnyView + Clone + Send + Sync + 'static,
{
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match auth.session.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(info) => render(info),
                    }
                })
            }}
        </Suspense>
    }
}

/// Where the visitor is: path and query, to come back to after signing in.
fn here(location: &leptos_router::location::Location) -> String {
    let search = location.search.get_untracked();
    if search.is_empty() {
        location.pathname.get_untracked()
    } else {
        format!("{}?{}", location.pathname.get_untracked(), search)
    }
}

/// The guard of every signed-in page: the user when their role admits `access`;
/// otherwise what to show instead (sign-in for a visitor, and back afterwards;
/// `/setup` until the first admin exists; a 403 page inside the shell).
fn admit(info: SessionInfo, access: Access, here: String) -> Result<CurrentUser, AnyView> {
    match info {
        info if info.needs_setup => Err(view! { <Redirect path="/setup"/> }.into_any()),
        SessionInfo { user: None, .. } => {
            let to = if here == "/" {
                "/login".to_string()
            } else {
                format!("/login?next={}", encode_query_value(&here))
            };
            Err(view! { <Redirect path=to/> }.into_any())
        }
        SessionInfo {
            user: Some(user), ..
        } => {
            if access.allows(user.role) {
                Ok(user)
            } else {
                Err(view! { <AppShell user=user><ForbiddenPage/></AppShell> }.into_any())
            }
        }
    }
}

/// Shows `children` inside the app shell when the signed-in user's role admits
/// `access` (see [`admit`] for everyone else).
#[component]
pub fn Protected(access: Access, children: ChildrenFn) -> impl IntoView {
    let location = use_location();
    let children = StoredValue::new(children);
    let render = move |info: SessionInfo| match admit(info, access, here(&location)) {
        Ok(user) => {
            view! { <AppShell user=user>{children.with_value(|c| c())}</AppShell> }.into_any()
        }
        Err(instead) => instead,
    };
    view! { <WithSession render/> }
}

/// A page with data of its own behind the same guard as [`Protected`]: the session
/// and the page's resource are awaited in **one** boundary, so the page hydrates as
/// one piece (nested boundaries occasionally left a page un-hydrated). It is a
/// Transition: when `data` refetches, the page stays on screen until the new data is
/// in. Create `data` in the page component, before this one, so that it is created
/// in the same order on the server and in the browser.
#[component]
pub fn ProtectedWith<T, F>(
    access: Access,
    data: Resource<Result<T, AppError>>,
    render: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    let auth = use_auth();
    let location = use_location();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                let location = location.clone();
                Suspend::new(async move {
                    let info = match auth.session.await {
                        Err(e) => return view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(info) => info,
                    };
                    // A public page (password reset, email verification) for a visitor
                    // who is not signed in: the page alone, outside the shell.
                    if access == Access::Public && info.user.is_none() && !info.needs_setup {
                        return match data.await {
                            Ok(d) => view! { <main class="auth-page">{render(d)}</main> }.into_any(),
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        };
                    }
                    match admit(info, access, here(&location)) {
                        Err(instead) => instead,
                        Ok(user) => {
                            let page = match data.await {
                                Ok(d) => render(d),
                                Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            };
                            view! { <AppShell user=user>{page}</AppShell> }.into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}

/// `/`: sends each person to where they work.
#[component]
pub fn HomePage() -> impl IntoView {
    view! { <WithSession render=|info: SessionInfo| match info {
        info if info.needs_setup => view! { <Redirect path="/setup"/> }.into_any(),
        SessionInfo { user: Some(u), .. } => view! { <Redirect path=u.role.home()/> }.into_any(),
        _ => view! { <Redirect path="/login"/> }.into_any(),
    }/> }
}

/// The live-validated password and confirmation pair used wherever a password is set.
/// The same rules run on the server.
#[component]
pub fn NewPasswordFields(
    password: RwSignal<String>,
    confirm: RwSignal<String>,
    /// A message for either field from the server, if the last save failed.
    #[prop(into)]
    server_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let password_error = Signal::derive(move || {
        server_error
            .get()
            .and_then(|e| e.message_for("password"))
            .or_else(|| {
                let p = password.get();
                (!p.is_empty()).then(|| password_problem(&p)).flatten()
            })
    });
    let confirm_error = Signal::derive(move || {
        server_error
            .get()
            .and_then(|e| e.message_for("confirm"))
            .or_else(|| {
                let c = confirm.get();
                (!c.is_empty())
                    .then(|| confirm_problem(&password.get(), &c))
                    .flatten()
            })
    });
    view! {
        <Field label="Password" name="password" kind="password" autocomplete="new-password" required=true
            minlength=super::model::NewPassword::MIN value=password error=password_error
            hint="At least 12 characters. A few unrelated words make a strong password."/>
        <Field label="Confirm password" name="confirm" kind="password" autocomplete="new-password" required=true
            value=confirm error=confirm_error/>
    }
}

/// `/setup`: creates the first admin. Gone (404) once an admin exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    view! { <WithSession render=|info: SessionInfo| if info.needs_setup {
        view! { <SetupForm/> }.into_any()
    } else {
        view! { <NotFoundPage/> }.into_any()
    }/> }
}

/// `/portal/register`: a customer asks for an account with their name and email; the
/// emailed link leads to the page that finishes it (`recovery::VerifyPage`).
#[component]
pub fn RegisterPage() -> impl IntoView {
    view! { <WithSession render=|info: SessionInfo| match info {
        info if info.needs_setup => view! { <NotFoundPage/> }.into_any(),
        SessionInfo { user: Some(u), .. } => view! { <Redirect path=u.role.home()/> }.into_any(),
        _ => view! { <RegisterForm/> }.into_any(),
    }/> }
}

#[component]
fn RegisterForm() -> impl IntoView {
    use leptos::server_fn::ServerFn;
    let register = ServerAction::<Register>::new();
    let value = register.value();
    let sent_in_address = use_query_map().with_untracked(|q| q.get("sent").is_some());
    let sent = move || sent_in_address || matches!(value.get(), Some(Ok(_)));
    let name = RwSignal::new(crate::ui::kept_value(Register::PATH, "name").unwrap_or_default());
    let email = RwSignal::new(crate::ui::kept_value(Register::PATH, "email").unwrap_or_default());
    let error = Signal::derive(move || server_error(value.get()));
    let name_error = live_message(error, "name", name, name_problem);
    let email_error = live_message(error, "email", email, email_problem);
    view! {
        <Title text="Create an account · Grip"/>
        <AuthCard title="Create your account"
            lead="To submit requests and follow them. We will email you a link to choose your password.">
            {move || if sent() {
                view! {
                    <p role="status" class="notice">"Check your email: we have sent a link to finish creating your account. It works once, for 2 days."</p>
                    <p class="auth-links"><a href="/login">"Back to sign in"</a></p>
                }.into_any()
            } else {
                view! {
                    <ActionForm action=register>
                        <Field label="Name" name="name" autocomplete="name" required=true value=name error=name_error/>
                        <Field label="Email" name="email" kind="email" autocomplete="email" required=true value=email error=email_error/>
                        <FormError error/>
                        <button type="submit" class="button primary wide" disabled=move || register.pending().get()>
                            {move || if register.pending().get() { "Sending…" } else { "Email me a link" }}
                        </button>
                    </ActionForm>
                    <p class="auth-links">"Have an account? "<a href="/login">"Sign in"</a></p>
                }.into_any()
            }}
        </AuthCard>
    }
}

/// The account form of `/setup`: the first admin.
#[component]
fn SetupForm() -> impl IntoView {
    let setup = ServerAction::<SetupAdmin>::new();
    let value = setup.value();
    Effect::new(move |_| {
        if let Some(Ok(path)) = value.get() {
            load_page(&path);
        }
    });
    let (name, email, password, confirm) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let error = Signal::derive(move || server_error(value.get()));
    let name_error = live_message(error, "name", name, name_problem);
    let email_error = live_message(error, "email", email, email_problem);
    view! {
        <Title text="Set up Grip"/>
        <AuthCard title="Create the first admin account"
            lead="Grip has no accounts yet. The first one runs the place: it can invite your team.">
            <ActionForm action=setup>
                <Field label="Name" name="name" autocomplete="name" required=true value=name error=name_error/>
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true value=email error=email_error/>
                <NewPasswordFields password confirm server_error=error/>
                <FormError error/>
                <button type="submit" class="button primary wide" disabled=move || setup.pending().get()>
                    {move || if setup.pending().get() { "Creating…" } else { "Create admin account" }}
                </button>
            </ActionForm>
        </AuthCard>
    }
}

/// `/login`: sign in with email and password; then back to where the visitor was
/// going, or to their role's start page.
#[component]
pub fn LoginPage() -> impl IntoView {
    view! { <WithSession render=|info: SessionInfo| match info {
        info if info.needs_setup => view! { <Redirect path="/setup"/> }.into_any(),
        SessionInfo { user: Some(u), .. } => view! { <Redirect path=u.role.home()/> }.into_any(),
        _ => view! { <LoginForm/> }.into_any(),
    }/> }
}

#[component]
fn LoginForm() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let value = login.value();
    Effect::new(move |_| {
        if let Some(Ok(path)) = value.get() {
            load_page(&path);
        }
    });
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let (email, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let error = Signal::derive(move || server_error(value.get()));
    // Without JavaScript the error arrives in the URL of a fresh page load: that page
    // answers with the error's status (429 when throttled) as the script call would.
    if let Some(e) = error.get_untracked() {
        if matches!(
            e,
            AppError::RateLimited { .. } | AppError::InvalidCredentials
        ) {
            set_status(e.status());
        }
    }
    let email_error = Signal::derive(move || server_message(value.get(), "email"));
    let password_error = Signal::derive(move || server_message(value.get(), "password"));
    view! {
        <Title text="Sign in · Grip"/>
        <AuthCard title="Sign in to Grip">
            <ActionForm action=login>
                <input type="hidden" name="next" value=next/>
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true value=email error=email_error/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" required=true value=password error=password_error/>
                <FormError error/>
                <button type="submit" class="button primary wide" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="auth-links"><a href="/forgot">"Forgot password?"</a>" · "<a href="/portal/register">"Create an account"</a></p>
        </AuthCard>
    }
}
