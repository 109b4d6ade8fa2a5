//! Admin → Teams (`/admin/teams`) and Team settings (`/team`): components of the
//! app like every page. Each form is an `ActionForm` bound to its server function:
//! with JavaScript the page updates in place after a change (a refused form keeps
//! what was typed, its message beside it); without, the same forms post and come
//! back.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    list_teams, team_settings, AddStage, CreateTeam, MoveStage, RemoveStage, RenameTeam,
    SetTeamArchived, SetTeamMember, SetTeamPortal, StageSettings, TeamAdmin, TeamPipeline,
    TeamsOverview, UpdateStage,
};
use super::model::StageKind;
use crate::auth::pages::ProtectedWith;
use crate::auth::policy::Access;
use crate::error::AppError;
use crate::teams::canned::{CannedReply, CreateCanned, DeleteCanned, UpdateCanned, PLACEHOLDERS};
use crate::ui::{failure, on_success, FormError};

/// The newest error of any of a page's actions.
fn first_error(errors: &[Signal<Option<AppError>>]) -> Option<AppError> {
    errors.iter().find_map(|e| e.get())
}

/// The message of an error that belongs to a field of a row's form (rows share one
/// alert above the list).
fn row_message(error: Signal<Option<AppError>>) -> impl Fn() -> Option<String> + Copy {
    move || {
        error
            .get()
            .and_then(|e| e.field().is_some().then(|| e.to_string()))
    }
}

#[component]
pub fn AdminNav(current: &'static str) -> impl IntoView {
    let here = move |p: &str| (p == current).then_some("page");
    view! {
        <nav class="subnav" aria-label="Admin sections">
            <a href="/admin/people" aria-current=here("people")>"People"</a>
            <a href="/admin/teams" aria-current=here("teams")>"Teams"</a>
            <a href="/admin/customers" aria-current=here("customers")>"Customers"</a>
            <a href="/admin/outbox" aria-current=here("outbox")>"Outbox"</a>
            <a href="/admin/audit" aria-current=here("audit")>"Audit"</a>
        </nav>
    }
}

/// `/admin/teams`: every team, its members, and whether it takes portal requests.
#[component]
pub fn TeamsPage() -> impl IntoView {
    let actions = TeamActions {
        create: ServerAction::new(),
        rename: ServerAction::new(),
        archive: ServerAction::new(),
        member: ServerAction::new(),
        portal: ServerAction::new(),
    };
    // Reloaded after each change that went through (a refusal keeps the page as it
    // is, with what was typed).
    let changed = RwSignal::new(0u32);
    let bump = move |_: String| changed.update(|n| *n += 1);
    on_success(actions.create.value(), bump);
    on_success(actions.rename.value(), bump);
    on_success(actions.archive.value(), bump);
    on_success(actions.member.value(), bump);
    on_success(actions.portal.value(), bump);
    let data = Resource::new(move || changed.get(), |_| list_teams());
    view! {
        <Title text="Teams · Admin · Grip"/>
        <ProtectedWith access=Access::Admin data
            render=move |overview: TeamsOverview| view! { <TeamsView overview actions/> }.into_any()/>
    }
}

#[derive(Clone, Copy)]
struct TeamActions {
    create: ServerAction<CreateTeam>,
    rename: ServerAction<RenameTeam>,
    archive: ServerAction<SetTeamArchived>,
    member: ServerAction<SetTeamMember>,
    portal: ServerAction<SetTeamPortal>,
}

#[component]
fn TeamsView(overview: TeamsOverview, actions: TeamActions) -> impl IntoView {
    let errors = [
        failure(actions.rename.value()),
        failure(actions.archive.value()),
        failure(actions.member.value()),
        failure(actions.portal.value()),
    ];
    let row_error = Signal::derive(move || first_error(&errors));
    let create_error = failure(actions.create.value());
    let name_error = move || create_error.get().and_then(|e| e.message_for("name"));
    let TeamsOverview { teams, staff } = overview;
    view! {
        <div class="page-head">
            <h1>"Admin"</h1>
            <AdminNav current="teams"/>
        </div>
        <FormError error=row_error/>
        <p class="form-error" role="alert">{row_message(row_error)}</p>
        <div class="two-col">
            <div class="team-list">
                {teams.into_iter().map(|t| view! { <TeamCard team=t staff=staff.clone() actions/> }).collect_view()}
            </div>
            <section class="card" aria-labelledby="create-team-heading">
                <h2 id="create-team-heading">"Create a team"</h2>
                <p class="muted">"A new team starts with the stages New, In Progress, Waiting and Completed."</p>
                <ActionForm action=actions.create>
                    <div class="field" class:has-error=move || name_error().is_some()>
                        <label for="new-team-name">"Team name"</label>
                        <input id="new-team-name" name="name" required=true maxlength="60"
                            aria-describedby="new-team-name-error"/>
                        <p class="field-error" id="new-team-name-error">{name_error}</p>
                    </div>
                    <FormError error=create_error/>
                    <button type="submit" class="button primary" disabled=move || actions.create.pending().get()>
                        {move || if actions.create.pending().get() { "Creating…" } else { "Create team" }}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

#[component]
fn TeamCard(
    team: TeamAdmin,
    staff: Vec<super::api::TeamMember>,
    actions: TeamActions,
) -> impl IntoView {
    let TeamAdmin {
        id,
        name,
        archived,
        members,
        accepts_portal,
    } = team;
    let heading = format!("team-{id}");
    let labelled = heading.clone();
    let outside: Vec<_> = staff
        .into_iter()
        .filter(|s| !members.iter().any(|m| m.id == s.id))
        .collect();
    let rename_label = format!("New name for {name}");
    let rename_button = format!("Rename {name}");
    let add_select = format!("Person to add to {name}");
    let add_button = format!("Add to {name}");
    let archive_text = if archived {
        format!("Restore {name}")
    } else {
        format!("Archive {name}")
    };
    let no_members = members.is_empty();
    let member_items = members
        .into_iter()
        .map(|m| {
            let label = format!("Remove {} from {}", m.name, name);
            view! {
                <li>
                    <span>{m.name}" "<span class="badge">{m.role.label()}</span></span>
                    <ActionForm action=actions.member>
                        <input type="hidden" name="team_id" value=id/>
                        <input type="hidden" name="user_id" value=m.id/>
                        <input type="hidden" name="add" value="false"/>
                        <button type="submit" class="button small secondary" aria-label=label>"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let add_form = (!outside.is_empty()).then(move || {
        view! {
            <ActionForm action=actions.member>
                <input type="hidden" name="team_id" value=id/>
                <input type="hidden" name="add" value="true"/>
                <div class="inline-form">
                    <select name="user_id" aria-label=add_select>
                        {outside.into_iter().map(|s| view! { <option value=s.id>{format!("{} ({})", s.name, s.role.label())}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="button small secondary" aria-label=add_button>"Add"</button>
                </div>
            </ActionForm>
        }
    });
    view! {
        <section class="card team-card" class:archived=archived aria-labelledby=labelled>
            <h2 id=heading>
                {name.clone()}
                {archived.then(|| view! { " "<span class="badge off">"Archived"</span> })}
            </h2>
            <ActionForm action=actions.rename>
                <input type="hidden" name="team_id" value=id/>
                <div class="inline-form">
                    <input name="name" value=name aria-label=rename_label maxlength="60" required=true/>
                    <button type="submit" class="button small secondary" aria-label=rename_button>"Rename"</button>
                </div>
            </ActionForm>
            <h3>"Members"</h3>
            <ul class="member-list">
                {member_items}
                {no_members.then(|| view! { <li class="muted">"No members yet."</li> })}
            </ul>
            {add_form}
            <ActionForm action=actions.portal attr:class="inline-form">
                <input type="hidden" name="team_id" value=id/>
                <input type="hidden" name="accepts" value=(!accepts_portal).to_string()/>
                <span class="muted">{if accepts_portal { "Customers can ask this team in the portal." } else { "Not offered in the portal." }}</span>
                <button type="submit" class="button small secondary">
                    {if accepts_portal { "Stop portal requests" } else { "Take portal requests" }}
                </button>
            </ActionForm>
            <ActionForm action=actions.archive>
                <input type="hidden" name="team_id" value=id/>
                <input type="hidden" name="archived" value=(!archived).to_string()/>
                <button type="submit" class="button small secondary">{archive_text}</button>
            </ActionForm>
        </section>
    }
}

/// `/team`: a lead's pipeline and canned replies.
#[component]
pub fn TeamSettingsPage() -> impl IntoView {
    let query = use_query_map();
    let team = move || query.read().get("team").and_then(|t| t.parse::<i64>().ok());
    let actions = StageActions {
        add: ServerAction::new(),
        update: ServerAction::new(),
        moved: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let canned = CannedActions {
        create: ServerAction::new(),
        update: ServerAction::new(),
        delete: ServerAction::new(),
    };
    // Reloaded after each change that went through.
    let changed = RwSignal::new(0u32);
    let bump = move |_: String| changed.update(|n| *n += 1);
    on_success(actions.add.value(), bump);
    on_success(actions.update.value(), bump);
    on_success(actions.moved.value(), bump);
    on_success(actions.remove.value(), bump);
    on_success(canned.create.value(), bump);
    on_success(canned.update.value(), bump);
    on_success(canned.delete.value(), bump);
    let data = Resource::new(
        move || (team(), changed.get()),
        |(team, _)| team_settings(team),
    );
    view! {
        <Title text="Team settings · Grip"/>
        <ProtectedWith access=Access::Lead data
            render=move |settings: TeamPipeline| view! { <SettingsView settings actions canned/> }.into_any()/>
    }
}

#[derive(Clone, Copy)]
struct StageActions {
    add: ServerAction<AddStage>,
    update: ServerAction<UpdateStage>,
    moved: ServerAction<MoveStage>,
    remove: ServerAction<RemoveStage>,
}

#[component]
fn SettingsView(
    settings: TeamPipeline,
    actions: StageActions,
    canned: CannedActions,
) -> impl IntoView {
    let TeamPipeline {
        team,
        teams,
        stages,
        canned: replies,
    } = settings;
    let errors = [
        failure(actions.update.value()),
        failure(actions.moved.value()),
        failure(actions.remove.value()),
    ];
    let row_error = Signal::derive(move || first_error(&errors));
    let row_message = row_message(row_error);
    let add_error = failure(actions.add.value());
    let add_message = move |f: &'static str| add_error.get().and_then(|e| e.message_for(f));
    let all: Vec<(i64, String)> = stages
        .iter()
        .map(|s| (s.stage.id, s.stage.name.clone()))
        .collect();
    let count = stages.len();
    view! {
        <div class="page-head">
            <h1>"Team settings"</h1>
            <nav class="subnav" aria-label="Teams">
                {teams.into_iter().map(|t| {
                    let current = t.id == team.id;
                    view! { <a href=format!("/team?team={}", t.id) aria-current=current.then_some("page")>{t.name}</a> }
                }).collect_view()}
            </nav>
        </div>
        <div class="two-col">
            <section class="card" aria-labelledby="stages-heading">
                <h2 id="stages-heading">{format!("{} pipeline", team.name)}</h2>
                <p class="muted">"Stages in board order. A done stage completes the tickets that enter it. The last box is what customers see the stage called in the portal (empty: its name), e.g. “We’re on it”."</p>
                <div class="form-error" role="alert">{row_message}</div>
                <FormError error=row_error/>
                <ol class="stage-list">
                    {stages.into_iter().enumerate().map(|(i, s)| view! {
                        <StageRow item=s first=i == 0 last=i + 1 == count others=all.clone() actions/>
                    }).collect_view()}
                </ol>
            </section>
            <section class="card" aria-labelledby="add-stage-heading">
                <h2 id="add-stage-heading">"Add a stage"</h2>
                <ActionForm action=actions.add>
                    <input type="hidden" name="team_id" value=team.id/>
                    <div class="field">
                        <label for="stage-name">"Stage name"</label>
                        <input id="stage-name" name="name" required=true maxlength="60" aria-describedby="stage-name-error"/>
                        <p class="field-error" id="stage-name-error">{move || add_message("name")}</p>
                    </div>
                    <div class="field-row">
                        <div class="field">
                            <label for="stage-kind">"Kind"</label>
                            <select id="stage-kind" name="kind">
                                <option value="open">"Open"</option>
                                <option value="waiting">"Waiting"</option>
                                <option value="done">"Done"</option>
                            </select>
                        </div>
                        <div class="field">
                            <label for="stage-wip">"WIP limit"</label>
                            <input id="stage-wip" name="wip_limit" inputmode="numeric" aria-describedby="stage-wip-error"/>
                            <p class="field-error" id="stage-wip-error">{move || add_message("wip_limit")}</p>
                        </div>
                    </div>
                    <FormError error=add_error/>
                    <button type="submit" class="button primary">"Add stage"</button>
                </ActionForm>
            </section>
        </div>
        <CannedSettings team=team.id replies actions=canned/>
    }
}

#[derive(Clone, Copy)]
struct CannedActions {
    create: ServerAction<CreateCanned>,
    update: ServerAction<UpdateCanned>,
    delete: ServerAction<DeleteCanned>,
}

/// The team's canned replies: add, edit, remove.
#[component]
fn CannedSettings(team: i64, replies: Vec<CannedReply>, actions: CannedActions) -> impl IntoView {
    let create_error = failure(actions.create.value());
    let row_error = Signal::derive({
        let errors = [
            failure(actions.update.value()),
            failure(actions.delete.value()),
        ];
        move || first_error(&errors)
    });
    let create_message = move |f: &'static str| create_error.get().and_then(|e| e.message_for(f));
    let help = format!("Placeholders: {}.", PLACEHOLDERS.join(", "));
    let empty = replies.is_empty();
    view! {
        <div class="two-col canned-settings">
            <section class="card" aria-labelledby="canned-heading">
                <h2 id="canned-heading">"Canned replies"</h2>
                <p class="muted">"Agents insert these in a reply with “/” or the Canned reply menu."</p>
                <div class="form-error" role="alert">{row_message(row_error)}</div>
                <FormError error=row_error/>
                {empty.then(|| view! { <p class="muted">"None yet."</p> })}
                <ul class="canned-list">
                    {replies.into_iter().map(|r| {
                        let title_id = format!("canned-title-{}", r.id);
                        let body_id = format!("canned-body-{}", r.id);
                        let region = format!("Canned reply {}", r.title);
                        let delete_label = format!("Delete {}", r.title);
                        view! {
                            <li class="canned-item" role="group" aria-label=region>
                                <ActionForm action=actions.update>
                                    <input type="hidden" name="id" value=r.id/>
                                    <div class="field">
                                        <label for=title_id.clone()>"Title"</label>
                                        <input id=title_id name="title" value=r.title.clone() required=true maxlength="100"/>
                                    </div>
                                    <div class="field">
                                        <label for=body_id.clone()>"Text"</label>
                                        <textarea id=body_id name="body" rows="4">{r.body.clone()}</textarea>
                                    </div>
                                    <button type="submit" class="button secondary small">"Save"</button>
                                </ActionForm>
                                <ActionForm action=actions.delete attr:class="inline-form">
                                    <input type="hidden" name="id" value=r.id/>
                                    <button type="submit" class="button danger small" aria-label=delete_label>"Delete"</button>
                                </ActionForm>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="card" aria-labelledby="add-canned-heading">
                <h2 id="add-canned-heading">"Add a canned reply"</h2>
                <ActionForm action=actions.create>
                    <input type="hidden" name="team" value=team/>
                    <div class="field">
                        <label for="canned-title">"Title"</label>
                        <input id="canned-title" name="title" required=true maxlength="100" aria-describedby="canned-title-error"/>
                        <p class="field-error" id="canned-title-error">{move || create_message("title")}</p>
                    </div>
                    <div class="field">
                        <label for="canned-body">"Text"</label>
                        <p class="hint" id="canned-body-hint">{help}</p>
                        <textarea id="canned-body" name="body" rows="6" aria-describedby="canned-body-hint canned-body-error"></textarea>
                        <p class="field-error" id="canned-body-error">{move || create_message("body")}</p>
                    </div>
                    <FormError error=create_error/>
                    <button type="submit" class="button primary">"Add canned reply"</button>
                </ActionForm>
            </section>
        </div>
    }
}

#[component]
fn StageRow(
    item: StageSettings,
    first: bool,
    last: bool,
    others: Vec<(i64, String)>,
    actions: StageActions,
) -> impl IntoView {
    let StageSettings {
        stage,
        tickets,
        customer_label,
    } = item;
    let name = stage.name.clone();
    let id = stage.id;
    let kinds = [StageKind::Open, StageKind::Waiting, StageKind::Done];
    let name_label = format!("Name of stage {name}");
    let kind_label = format!("Kind of stage {name}");
    let wip_label = format!("WIP limit of stage {name}");
    let save_label = format!("Save stage {name}");
    let customer_label_label = format!("What customers see for stage {name}");
    let up_label = format!("Move {name} earlier");
    let down_label = format!("Move {name} later");
    let move_to_label = format!("Where the tickets of {name} go");
    let remove_label = format!("Remove stage {name}");
    view! {
        <li class="stage-row">
            <ActionForm action=actions.update>
                <input type="hidden" name="stage_id" value=id/>
                <div class="inline-form stage-fields">
                    <input name="name" value=stage.name.clone() aria-label=name_label maxlength="60" required=true/>
                    <select name="kind" aria-label=kind_label>
                        {kinds.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=k == stage.kind>{k.as_str()}</option>
                        }).collect_view()}
                    </select>
                    <input name="wip_limit" value=stage.wip_limit.map(|w| w.to_string()).unwrap_or_default()
                        inputmode="numeric" placeholder="No limit" aria-label=wip_label/>
                    <input name="customer_label" value=customer_label.unwrap_or_default() maxlength="60"
                        placeholder=format!("Customers see “{name}”") aria-label=customer_label_label/>
                    <button type="submit" class="button small secondary" aria-label=save_label>"Save"</button>
                </div>
            </ActionForm>
            <div class="inline-form stage-tools">
                <span class="muted">{format!("{tickets} tickets")}</span>
                <ActionForm action=actions.moved>
                    <input type="hidden" name="stage_id" value=id/>
                    <input type="hidden" name="direction" value="up"/>
                    <button type="submit" class="button small secondary" disabled=first aria-label=up_label>"↑"</button>
                </ActionForm>
                <ActionForm action=actions.moved>
                    <input type="hidden" name="stage_id" value=id/>
                    <input type="hidden" name="direction" value="down"/>
                    <button type="submit" class="button small secondary" disabled=last aria-label=down_label>"↓"</button>
                </ActionForm>
                <ActionForm action=actions.remove>
                    <input type="hidden" name="stage_id" value=id/>
                    {(tickets > 0).then(|| view! {
                        <select name="move_to" aria-label=move_to_label>
                            {others.iter().filter(|(o, _)| *o != id).map(|(o, n)| view! {
                                <option value=*o>{format!("Move tickets to {n}")}</option>
                            }).collect_view()}
                        </select>
                    })}
                    <button type="submit" class="button small danger" aria-label=remove_label>"Remove"</button>
                </ActionForm>
            </div>
        </li>
    }
}
