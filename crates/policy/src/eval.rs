//! The evaluator: case + packs + options -> findings. No IO, no clock.
//!
//! Inside, parties and products are referred to by their position in the case (ids
//! are resolved once per case), so the inner loops compare integers, not strings.

use std::collections::BTreeMap;

use chrono::{Days, Months, TimeDelta, TimeZone};
use chrono_tz::Tz;
use vulnrelay_domain::{Case, Event, EventKind, EventType, NotificationKind, Party, Role, Timestamp};

use crate::finding::{Exception, Explanation, Finding, Status};
use crate::pack::{
    Actor, Binding, Condition, Conflict, Deadline, Gate, Interpretation, Obligation, ObligationReview, Pack,
    Recipients, Relation, Requirement, Rule, RuleKind, TriggerEvent,
};

/// What the evaluation is relative to.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The moment of evaluation: events after it are ignored, and deadlines before it
    /// that are unmet are overdue.
    pub as_of: Timestamp,
    /// How day-based deadlines are read, in every pack that offers this reading (the
    /// bare `--interpretation`); [`Settings::interpretations`] overrides it per pack.
    pub interpretation: Interpretation,
}

/// Settings per instrument and per rule, beyond [`Options`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The reading of "N days" per pack id (`cn-rmsv-2021=calendar-days`).
    pub interpretations: BTreeMap<String, Interpretation>,
    /// Deadlines set by a platform's configuration, per `pack/rule`, for the rules
    /// that allow it (`deadline_configurable`).
    pub deadlines: BTreeMap<String, Deadline>,
}

impl Settings {
    /// Reads one term of an interpretation (`vulnrelay check --interpretation`, the
    /// compliance endpoint's `interpretation`): `POLICY=READING` is laid into these
    /// settings; a bare reading, for every policy that offers it, is answered.
    pub fn read_interpretation(&mut self, term: &str) -> Result<Option<Interpretation>, String> {
        match term.split_once('=') {
            None => term.parse().map(Some),
            Some((policy, reading)) => {
                self.interpretations.insert(policy.to_owned(), reading.parse()?);
                Ok(None)
            }
        }
    }

    /// Every setting that names an unknown pack or rule, asks a pack for a reading it
    /// does not offer, or sets the deadline of a rule that does not allow it.
    pub fn check(&self, packs: &[Pack]) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for (id, reading) in &self.interpretations {
            match packs.iter().find(|p| &p.id == id) {
                None => problems.push(format!("interpretation for `{id}`: no such policy")),
                Some(pack) if !pack.readings.contains(reading) => {
                    let offered: Vec<&str> = pack.readings.iter().map(|r| r.as_str()).collect();
                    problems.push(format!(
                        "interpretation for `{id}`: `{reading}` is not offered (offered: {})",
                        offered.join(", ")
                    ));
                }
                Some(_) => {}
            }
        }
        for id in self.deadlines.keys() {
            let rule = id
                .split_once('/')
                .and_then(|(pack, rule)| packs.iter().find(|p| p.id == pack).and_then(|p| p.rule(rule)));
            match rule.map(|r| &r.kind) {
                Some(RuleKind::Obligation(o)) if o.deadline_configurable => {}
                Some(_) => {
                    problems.push(format!("deadline for `{id}`: the rule's deadline is not configurable"))
                }
                None => problems.push(format!("deadline for `{id}`: no such rule")),
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

/// Applies every rule of `packs` to `case` and returns the findings, in pack order,
/// then rule order, then party and product order. Only bound parties get findings.
/// Every pack reads its days by `options.interpretation` when it offers that reading,
/// else by its default.
pub fn evaluate<'a>(case: &'a Case, packs: &'a [Pack], options: &Options) -> Vec<Finding<'a>> {
    evaluate_with(case, packs, options, &Settings::default())
}

/// [`evaluate`] with settings per instrument and rule (checked by [`Settings::check`];
/// settings for packs or rules not given are ignored).
pub fn evaluate_with<'a>(
    case: &'a Case,
    packs: &'a [Pack],
    options: &Options,
    settings: &Settings,
) -> Vec<Finding<'a>> {
    let view = View::new(case, options, settings);
    let mut findings = Vec::new();
    for pack in packs {
        let first_of_pack = findings.len();
        for rule in &pack.rules {
            match &rule.kind {
                RuleKind::Obligation(obligation) => view.obligation(pack, rule, obligation, &mut findings),
                RuleKind::Gate(gate) => view.gate(pack, rule, gate, &mut findings),
                RuleKind::Conflict(conflict) => {
                    let conflicts = view.conflict(pack, rule, conflict, &findings[first_of_pack..], packs);
                    findings.extend(conflicts);
                }
                RuleKind::Retention(_) => {}
            }
        }
    }
    findings
}

/// Position of a party in `Case::parties`.
type PartyAt = usize;
/// Position of a product in `Case::products`.
type ProductAt = usize;

/// The case as seen at `as_of` (events after it do not exist yet), with every id
/// resolved to a position.
struct View<'a, 's> {
    case: &'a Case,
    options: Options,
    settings: &'s Settings,
    /// Indexes of the events at or before `as_of`, in time order.
    order: Vec<usize>,
    /// For each event (by index): its actor.
    actor: Vec<PartyAt>,
    /// For each event (by index): its recipient, if it has one.
    recipient: Vec<Option<PartyAt>>,
    /// For each event (by index): its product (`None`: every product).
    product: Vec<Option<ProductAt>>,
    /// For each product: its provider.
    provider: Vec<PartyAt>,
    /// For each product: the providers of the products that name it upstream.
    downstream: Vec<Vec<PartyAt>>,
    /// For each party: the products it provides or is downstream of (the only ones a
    /// binding by relation can bind it for), in product order.
    related: Vec<Vec<ProductAt>>,
    /// Every product position.
    all_products: Vec<ProductAt>,
}

impl<'a, 's> View<'a, 's> {
    fn new(case: &'a Case, options: &Options, settings: &'s Settings) -> Self {
        let mut order = case.chronological();
        order.retain(|&i| case.events()[i].at <= options.as_of);
        // Case::new guarantees that every reference resolves.
        let party = |id| case.party_position(id).unwrap_or(usize::MAX);
        let events = case.events();
        View {
            case,
            options: *options,
            settings,
            order,
            actor: events.iter().map(|e| party(&e.party)).collect(),
            recipient: events.iter().map(|e| e.recipient().map(party)).collect(),
            product: events
                .iter()
                .map(|e| e.product.as_ref().and_then(|p| case.product_position(p)))
                .collect(),
            provider: case.products().iter().map(|p| party(&p.provider)).collect(),
            downstream: downstream_providers(case),
            related: related_products(case),
            all_products: (0..case.products().len()).collect(),
        }
    }

    fn events(&self) -> impl Iterator<Item = (usize, &'a Event)> + '_ {
        self.order.iter().map(|&i| (i, &self.case.events()[i]))
    }

    fn parties(&self) -> &'a [Party] {
        self.case.parties()
    }

    /// Whether event `i` concerns product `p`.
    fn concerns(&self, i: usize, p: ProductAt) -> bool {
        self.product[i].is_none_or(|q| q == p)
    }

    /// The checks of a binding that do not depend on time.
    fn binds_statically(&self, binding: &Binding, party: PartyAt, product: Option<ProductAt>) -> bool {
        let Some(who) = self.parties().get(party) else { return false };
        if !binding.roles.is_empty() && !who.has_any_role(&binding.roles) {
            return false;
        }
        if !binding.jurisdictions.is_empty() && !binding.jurisdictions.contains(&who.jurisdiction) {
            return false;
        }
        if let (Some(market), Some(p)) = (&binding.market, product)
            && !self.case.products()[p].on_market(market)
        {
            return false;
        }
        if binding.relations.is_empty() {
            return true;
        }
        let Some(p) = product else { return false };
        binding.relations.iter().any(|relation| match relation {
            Relation::Provider => self.provider[p] == party,
            Relation::DownstreamProvider => self.downstream[p].contains(&party),
        })
    }

    /// The time zone in which `pack` counts its days.
    fn tz(&self, pack: &Pack) -> Tz {
        pack.timezone.unwrap_or_else(|| self.case.timezone())
    }

    /// The checks of a binding at the moment a duty arises for `party` (its own
    /// trigger) or its event happens: membership active, rule already applicable.
    fn binds_at(&self, pack: &Pack, binding: &Binding, party: &Party, at: Timestamp) -> bool {
        if let Some(scheme) = &binding.membership
            && !self.case.membership_active(&party.id, scheme, at)
        {
            return false;
        }
        binding.applies_from.is_none_or(|from| at.with_timezone(&self.tz(pack)).date_naive() >= from)
    }

    fn obligation(
        &self,
        pack: &'a Pack,
        rule: &'a Rule,
        obligation: &'a Obligation,
        out: &mut Vec<Finding<'a>>,
    ) {
        for (party_at, party) in self.parties().iter().enumerate() {
            // A binding by relation binds a party only for the products it provides or
            // is downstream of: the others need not be looked at (a case with thousands
            // of vendors and products stays linear).
            let products: &[ProductAt] = if obligation.binds.relations.is_empty() {
                &self.all_products
            } else {
                &self.related[party_at]
            };
            for &product_at in products {
                if !self.binds_statically(&obligation.binds, party_at, Some(product_at)) {
                    continue;
                }
                let Some(trigger) = self.first_trigger(obligation, party_at, product_at) else {
                    if let Some(seen) = self.seen_by_others(obligation, party_at, product_at)
                        && self.binds_at(pack, &obligation.binds, party, self.options.as_of)
                    {
                        let mut finding = self.blank_finding(pack, rule, party_at, Some(product_at));
                        finding.status = Status::NotStarted;
                        finding.evidence.push(seen);
                        finding.explanation = Explanation::NotAware { seen };
                        out.push(finding);
                    }
                    continue;
                };
                if !self.binds_at(pack, &obligation.binds, party, self.case.events()[trigger].at) {
                    continue;
                }
                out.push(self.obligation_finding(pack, rule, obligation, party_at, product_at, trigger));
            }
        }
    }

    /// The first event that gives rise to the duty.
    fn first_trigger(&self, obligation: &Obligation, party: PartyAt, product: ProductAt) -> Option<usize> {
        self.events()
            .find(|&(i, event)| {
                self.concerns(i, product)
                    && obligation
                        .trigger
                        .iter()
                        .any(|trigger| self.triggers(obligation, trigger, i, event, party))
            })
            .map(|(i, _)| i)
    }

    /// Whether event `i` is `trigger` for `party`.
    fn triggers(
        &self,
        obligation: &Obligation,
        trigger: &TriggerEvent,
        i: usize,
        event: &Event,
        party: PartyAt,
    ) -> bool {
        let by = |i: usize| obligation.trigger_by == Actor::Any || self.actor[i] == party;
        match trigger {
            TriggerEvent::Type(t) => event.event_type() == *t && by(i),
            TriggerEvent::Received => self.recipient[i] == Some(party),
            TriggerEvent::ReceivedExploitation => {
                self.recipient[i] == Some(party)
                    && matches!(event.kind, EventKind::Notified { exploited: true, .. })
            }
            TriggerEvent::SevereIncident => {
                matches!(event.kind, EventKind::Incident { severe: true }) && by(i)
            }
        }
    }

    /// For a duty that runs from the bound party's own knowledge: another party's
    /// trigger event, when the pack asks for it to be shown.
    fn seen_by_others(&self, obligation: &Obligation, party: PartyAt, product: ProductAt) -> Option<usize> {
        if !obligation.others_seen || obligation.trigger_by != Actor::Bound {
            return None;
        }
        self.events()
            .find(|&(i, event)| {
                self.concerns(i, product)
                    && self.actor[i] != party
                    && obligation.trigger.iter().any(|trigger| match trigger {
                        TriggerEvent::Type(t) => event.event_type() == *t,
                        TriggerEvent::SevereIncident => {
                            matches!(event.kind, EventKind::Incident { severe: true })
                        }
                        TriggerEvent::Received | TriggerEvent::ReceivedExploitation => false,
                    })
            })
            .map(|(i, _)| i)
    }

    fn obligation_finding(
        &self,
        pack: &'a Pack,
        rule: &'a Rule,
        obligation: &'a Obligation,
        party: PartyAt,
        product: ProductAt,
        trigger: usize,
    ) -> Finding<'a> {
        let mut finding = self.blank_finding(pack, rule, party, Some(product));
        let trigger_at = self.case.events()[trigger].at;
        finding.evidence.push(trigger);
        let anchor_at = match &obligation.anchor {
            None => trigger_at,
            Some((types, by)) => {
                let anchor = self.events().find(|&(i, e)| {
                    self.concerns(i, product)
                        && types.contains(&e.event_type())
                        && (*by == Actor::Any || self.actor[i] == party)
                        && match &e.kind {
                            EventKind::Notified { kind, .. } => {
                                obligation.anchor_kinds.is_empty() || obligation.anchor_kinds.contains(kind)
                            }
                            _ => true,
                        }
                });
                match anchor {
                    Some((index, event)) => {
                        finding.evidence.push(index);
                        event.at.max(trigger_at)
                    }
                    None => {
                        finding.status = Status::NotStarted;
                        finding.explanation = Explanation::WaitingFor(types);
                        return finding;
                    }
                }
            }
        };
        finding.anchor_at = Some(anchor_at);
        let configured = self.settings.deadlines.get(&format!("{}/{}", pack.id, rule.id));
        let deadline = match configured {
            Some(deadline) if obligation.deadline_configurable => {
                finding.deadline_configured = true;
                *deadline
            }
            _ => obligation.deadline,
        };
        let reading = pack.reading(self.options.interpretation, self.settings);
        if let Deadline::Days(_) | Deadline::Months(_) = deadline {
            finding.interpretation = Some(reading);
        }
        let due_at = self.due(anchor_at, deadline, reading, self.tz(pack), pack.holidays.as_ref());
        finding.due_at = due_at;
        let satisfied = obligation
            .required
            .iter()
            .filter_map(|requirement| {
                self.satisfaction(requirement, party, product, trigger_at).map(|s| (s, requirement))
            })
            .min_by_key(|((at, _), _)| *at);
        let as_of = self.options.as_of;
        // The content the law asks of the notification: every field, carried (by every
        // recipient's notification) by the evaluation time; the duty is done when the
        // last field arrived.
        let satisfied = satisfied.map(|((at, mut evidence), requirement)| {
            let mut done_at = at;
            if !obligation.content.is_empty() && requirement.event == EventType::Notified {
                let (missing, complete_at, supplied, recorded) =
                    self.content(obligation, requirement, party, product, trigger_at);
                finding.missing = missing;
                finding.content_recorded = recorded;
                if finding.missing.is_empty() {
                    done_at = done_at.max(complete_at.unwrap_or(at));
                }
                evidence.extend(supplied);
            }
            (at, done_at, evidence)
        });
        finding.status = match (satisfied.as_ref(), due_at) {
            (Some((_, done, _)), Some(due)) if *done > due => {
                finding.late_by_hours = Some(hours(*done - due));
                Status::MetLate
            }
            (Some(_), _) if !finding.missing.is_empty() => Status::MetIncomplete,
            (Some(_), _) => Status::Met,
            (None, Some(due)) if as_of > due => {
                finding.late_by_hours = Some(hours(as_of - due));
                Status::Overdue
            }
            (None, _) => Status::Pending,
        };
        // A duty the law leaves open is not judged by its clock: not yet met, or met
        // after the deadline, it is a person's to decide (a report in time is met, and
        // a late one stays on the finding as its evidence).
        if matches!(finding.status, Status::Pending | Status::Overdue | Status::MetLate)
            && let Some(review) = obligation.review_when.iter().find(|r| self.review_holds(r, trigger))
        {
            finding.status = Status::NeedsReview;
            finding.late_by_hours = None;
            finding.explanation = Explanation::ClockReview { trigger, review };
        }
        if let Some((_, done, evidence)) = satisfied {
            finding.satisfied_at = Some(done);
            finding.evidence.extend(evidence);
        }
        finding.evidence.sort_unstable();
        finding.evidence.dedup();
        finding
    }

    /// Whether an obligation's review condition holds for its trigger event.
    fn review_holds(&self, review: &ObligationReview, trigger: usize) -> bool {
        match review {
            ObligationReview::TriggerReceivedFrom(role) => {
                matches!(self.case.events()[trigger].kind, EventKind::Notified { .. })
                    && self
                        .parties()
                        .get(self.actor[trigger])
                        .is_some_and(|sender| sender.has_any_role(&[*role]))
            }
        }
    }

    /// The events of `party` that could meet `requirement` for `product`, at or after
    /// `since`, whoever received them.
    fn candidates<'r>(
        &'r self,
        requirement: &'r Requirement,
        party: PartyAt,
        product: ProductAt,
        since: Timestamp,
    ) -> impl Iterator<Item = (usize, &'a Event)> + 'r {
        self.events().filter(move |&(i, e)| {
            self.actor[i] == party
                && e.event_type() == requirement.event
                && e.at >= since
                && self.concerns(i, product)
                && kind_matches(requirement, e)
                && (requirement.to_jurisdictions.is_empty()
                    || self.recipient[i]
                        .and_then(|to| self.parties().get(to))
                        .is_some_and(|to| requirement.to_jurisdictions.contains(&to.jurisdiction)))
        })
    }

    /// When `requirement` was first met by `party` for `product`, at or after `since`,
    /// with the events that meet it.
    fn satisfaction(
        &self,
        requirement: &Requirement,
        party: PartyAt,
        product: ProductAt,
        since: Timestamp,
    ) -> Option<(Timestamp, Vec<usize>)> {
        let candidates = || self.candidates(requirement, party, product, since);
        match &requirement.to {
            Recipients::AllRoles(roles) => {
                let mut latest = None::<Timestamp>;
                let mut evidence = Vec::with_capacity(roles.len());
                for role in roles {
                    let (index, event) = candidates().find(|&(i, _)| self.recipient_has_role(i, *role))?;
                    latest = Some(latest.map_or(event.at, |l| l.max(event.at)));
                    evidence.push(index);
                }
                latest.map(|at| (at, evidence))
            }
            Recipients::AnyRole(roles) => candidates()
                .find(|&(i, _)| roles.iter().any(|role| self.recipient_has_role(i, *role)))
                .map(|(i, e)| (e.at, vec![i])),
            Recipients::ProductProvider => candidates()
                .find(|&(i, _)| self.recipient[i] == Some(self.provider[product]))
                .map(|(i, e)| (e.at, vec![i])),
            Recipients::Anyone => candidates().next().map(|(i, e)| (e.at, vec![i])),
        }
    }

    /// The content `obligation` asks of the notifications that meet `requirement`:
    /// the fields no notification carried (to each recipient the requirement names:
    /// for `to_all_roles`, every role's recipient must have it), when the last field
    /// arrived if none is missing, the events that carried them, and whether any of the
    /// notifications recorded content at all. A later notification of a kind that
    /// counts, to the same recipients, may supply a field an earlier one lacked.
    fn content(
        &self,
        obligation: &'a Obligation,
        requirement: &Requirement,
        party: PartyAt,
        product: ProductAt,
        since: Timestamp,
    ) -> (Vec<&'a crate::ContentField>, Option<Timestamp>, Vec<usize>, bool) {
        let groups: Vec<Vec<(usize, &Event)>> = match &requirement.to {
            Recipients::AllRoles(roles) => roles
                .iter()
                .map(|role| {
                    self.candidates(requirement, party, product, since)
                        .filter(|&(i, _)| self.recipient_has_role(i, *role))
                        .collect()
                })
                .collect(),
            Recipients::AnyRole(roles) => vec![
                self.candidates(requirement, party, product, since)
                    .filter(|&(i, _)| roles.iter().any(|role| self.recipient_has_role(i, *role)))
                    .collect(),
            ],
            Recipients::ProductProvider => vec![
                self.candidates(requirement, party, product, since)
                    .filter(|&(i, _)| self.recipient[i] == Some(self.provider[product]))
                    .collect(),
            ],
            Recipients::Anyone => vec![self.candidates(requirement, party, product, since).collect()],
        };
        let recorded = groups
            .iter()
            .flatten()
            .any(|(_, e)| matches!(&e.kind, EventKind::Notified { content: Some(_), .. }));
        let mut missing = Vec::new();
        let mut complete_at = None::<Timestamp>;
        let mut supplied = Vec::new();
        for field in &obligation.content {
            let mut field_at = Some(None::<Timestamp>);
            for group in &groups {
                // Events are in time order: the first that carries the field.
                let carrier = group.iter().find(|(_, e)| match &e.kind {
                    EventKind::Notified { content: Some(content), .. } => {
                        content.carries(&field.id, field.qualifier.is_some())
                    }
                    _ => false,
                });
                match (carrier, field_at) {
                    (Some(&(i, e)), Some(at)) => {
                        supplied.push(i);
                        field_at = Some(Some(at.map_or(e.at, |a: Timestamp| a.max(e.at))));
                    }
                    _ => field_at = None,
                }
            }
            match field_at {
                Some(Some(at)) => complete_at = Some(complete_at.map_or(at, |c| c.max(at))),
                Some(None) => {}
                None => missing.push(field),
            }
        }
        (missing, complete_at, supplied, recorded)
    }

    fn recipient_has_role(&self, event: usize, role: Role) -> bool {
        self.recipient[event].and_then(|to| self.parties().get(to)).is_some_and(|p| p.has_role(role))
    }

    /// When a deadline falls due, counting days by `reading` in `tz`.
    fn due(
        &self,
        anchor: Timestamp,
        deadline: Deadline,
        reading: Interpretation,
        tz: Tz,
        holidays: Option<&crate::HolidayCalendar>,
    ) -> Option<Timestamp> {
        match deadline {
            Deadline::Immediately => None,
            Deadline::Hours(h) => Some(anchor + TimeDelta::hours(i64::from(h))),
            Deadline::Months(m) if reading == Interpretation::EuPeriods => {
                let day = anchor.with_timezone(&tz).date_naive();
                let last = day.checked_add_months(Months::new(m)).unwrap_or(day);
                Some(end_of(working_day(last), tz))
            }
            Deadline::Months(m) => {
                let local = anchor.with_timezone(&tz);
                Some(local.checked_add_months(Months::new(m)).map_or(local.to_utc(), |t| t.to_utc()))
            }
            Deadline::Days(d) => Some(match reading {
                Interpretation::Hours => anchor + TimeDelta::hours(24 * i64::from(d)),
                Interpretation::EuPeriods => {
                    let day = anchor.with_timezone(&tz).date_naive();
                    let last = day.checked_add_days(Days::new(u64::from(d))).unwrap_or(day);
                    end_of(working_day(last), tz)
                }
                Interpretation::CivilCodeHolidays => {
                    let day = anchor.with_timezone(&tz).date_naive();
                    let last = day.checked_add_days(Days::new(u64::from(d))).unwrap_or(day);
                    end_of(holidays.map_or_else(|| working_day(last), |c| c.working_day_from(last)), tz)
                }
                Interpretation::CalendarDays => {
                    let day = anchor.with_timezone(&tz).date_naive();
                    // End of the d-th calendar day after the anchor's day = the start of the next one.
                    let end = day.checked_add_days(Days::new(u64::from(d) + 1)).unwrap_or(day);
                    let midnight = end.and_hms_opt(0, 0, 0).unwrap_or_default();
                    tz.from_local_datetime(&midnight)
                        .earliest()
                        .map(|t| t.to_utc())
                        // A day that starts in a DST gap: the first instant that exists.
                        .unwrap_or_else(|| midnight.and_utc())
                }
            }),
        }
    }

    fn gate(&self, pack: &'a Pack, rule: &'a Rule, gate: &'a Gate, out: &mut Vec<Finding<'a>>) {
        for (index, event) in self.events() {
            if event.event_type() != gate.event {
                continue;
            }
            let actor = self.actor[index];
            if !self.binds_statically(&gate.binds, actor, self.product[index])
                || !self.binds_at(pack, &gate.binds, &self.parties()[actor], event.at)
            {
                continue;
            }
            let mut evidence = vec![index];
            if !gate.applies_when.iter().all(|c| self.holds(c, gate, index, &mut evidence)) {
                continue;
            }
            let mut finding = self.blank_finding(pack, rule, actor, self.product[index]);
            finding.anchor_at = Some(event.at);
            let forbidden = gate.forbidden_when.iter().all(|c| self.holds(c, gate, index, &mut evidence));
            let exemption = if forbidden {
                gate.unless.iter().find(|c| self.holds(c, gate, index, &mut evidence))
            } else {
                None
            };
            let mut exception = None;
            let mut review = None;
            finding.status = if forbidden && exemption.is_none() {
                if gate.exception.is_empty() {
                    Status::Violated
                } else {
                    let (present, missing): (Vec<&Condition>, Vec<&Condition>) =
                        gate.exception.iter().partition(|c| self.holds(c, gate, index, &mut evidence));
                    let status = match (present.is_empty(), missing.is_empty()) {
                        (_, true) => Status::Met,
                        (false, false) => Status::NeedsReview,
                        (true, false) => Status::Violated,
                    };
                    exception = Some(Exception { present, missing });
                    status
                }
            } else {
                Status::Met
            };
            if finding.status == Status::Violated {
                review = gate.review_when.iter().find(|c| self.holds(c, gate, index, &mut evidence));
                if review.is_some() {
                    finding.status = Status::NeedsReview;
                }
            }
            let failed = if forbidden {
                None
            } else {
                gate.forbidden_when.iter().find(|c| !self.holds(c, gate, index, &mut Vec::new()))
            };
            evidence.sort_unstable();
            evidence.dedup();
            finding.evidence = evidence;
            finding.explanation = Explanation::Gate {
                event: index,
                exemption,
                not_forbidden_because: failed,
                exception,
                review,
            };
            out.push(finding);
        }
    }

    /// Whether `condition` holds for the event at `index`; events that make it hold
    /// are added to `evidence`. An event that names no product is judged against every
    /// product of the case.
    fn holds(&self, condition: &Condition, gate: &Gate, index: usize, evidence: &mut Vec<usize>) -> bool {
        let event = &self.case.events()[index];
        let one;
        let products: &[ProductAt] = match self.product[index] {
            Some(p) => {
                one = [p];
                &one
            }
            None => &self.all_products,
        };
        let before = |wanted: EventType, strictly: bool| {
            self.events().filter(move |(_, e)| {
                e.event_type() == wanted && (if strictly { e.at < event.at } else { e.at <= event.at })
            })
        };
        match condition {
            Condition::Undisclosed => products
                .iter()
                .any(|&p| !before(EventType::Published, true).any(|(i, _)| self.concerns(i, p))),
            // "Before the provider offers a fix" (CN Art. 9(1)): only the product
            // provider's own fix counts, not a third party's mitigation.
            Condition::BeforeFix => products.iter().any(|&p| {
                let fixes = before(EventType::FixAvailable, false);
                match fixes
                    .into_iter()
                    .find(|&(i, _)| self.concerns(i, p) && self.actor[i] == self.provider[p])
                {
                    Some((i, _)) => {
                        evidence.push(i);
                        false
                    }
                    None => true,
                }
            }),
            Condition::RecipientOutsideJurisdiction => self.recipient[index]
                .and_then(|to| self.parties().get(to))
                .is_some_and(|to| !gate.binds.jurisdictions.contains(&to.jurisdiction)),
            Condition::RecipientIsProductProvider => {
                self.recipient[index].is_some_and(|to| products.iter().any(|&p| self.provider[p] == to))
            }
            Condition::ActorIsProductProvider => {
                products.iter().any(|&p| self.provider[p] == self.actor[index])
            }
            Condition::WithExploitCode => matches!(
                event.kind,
                EventKind::Published { with_exploit_code: true, .. }
                    | EventKind::Notified { with_exploit_code: true, .. }
            ),
            Condition::CveRequest => {
                matches!(event.kind, EventKind::Notified { kind: NotificationKind::CveRequest, .. })
            }
            Condition::JointAssessmentWithProvider => {
                let found = before(EventType::JointAssessment, false).find(|&(i, e)| {
                    self.actor[i] == self.actor[index]
                        && products.iter().any(|&p| {
                            self.concerns(i, p)
                                && matches!(&e.kind, EventKind::JointAssessment { with }
                                    if self.case.party_position(with) == Some(self.provider[p]))
                        })
                });
                found.map(|(i, _)| evidence.push(i)).is_some()
            }
            Condition::EarlyPublicationReportedTo(role) => {
                let found = before(EventType::Notified, false).find(|&(i, e)| {
                    self.actor[i] == self.actor[index]
                        && matches!(
                            e.kind,
                            EventKind::Notified { kind: NotificationKind::EarlyPublication, .. }
                        )
                        && self.recipient_has_role(i, *role)
                        && products.iter().any(|&p| self.concerns(i, p))
                });
                found.map(|(i, _)| evidence.push(i)).is_some()
            }
            Condition::WithoutRemediation => {
                matches!(event.kind, EventKind::Published { with_remediation: false, .. })
            }
            Condition::InBlackout => {
                let window = before(EventType::Blackout, false).find(|(_, e)| match e.kind {
                    EventKind::Blackout { until } => event.at < until,
                    _ => false,
                });
                window.map(|(i, _)| evidence.push(i)).is_some()
            }
            Condition::ApprovedBy(role) | Condition::ConsentBy(role) => {
                let wanted = match condition {
                    Condition::ApprovedBy(_) => EventType::PublicationApproved,
                    _ => EventType::Consent,
                };
                let grant = before(wanted, false).find(|&(i, e)| {
                    let to = match &e.kind {
                        EventKind::PublicationApproved { to } | EventKind::Consent { to } => to.as_ref(),
                        _ => None,
                    };
                    to.is_none_or(|to| to == &event.party)
                        && products.iter().any(|&p| self.concerns(i, p))
                        && self.parties()[self.actor[i]].has_role(*role)
                });
                grant.map(|(i, _)| evidence.push(i)).is_some()
            }
        }
    }

    fn conflict(
        &self,
        pack: &'a Pack,
        rule: &'a Rule,
        conflict: &Conflict,
        own: &[Finding<'a>],
        packs: &'a [Pack],
    ) -> Vec<Finding<'a>> {
        let Some((gate_pack, gate_rule, gate)) = find_gate(packs, &conflict.gate) else {
            return Vec::new();
        };
        let mut out: Vec<Finding<'a>> = Vec::new();
        for finding in own {
            let local_id = finding.rule.id.as_str();
            if finding.status == Status::NotStarted || !conflict.obligations.iter().any(|o| o == local_id) {
                continue;
            }
            let (Some(party), Some(product), Some(anchor_at)) = (
                self.case.party_position(finding.party),
                finding.product.and_then(|p| self.case.product_position(p)),
                finding.anchor_at,
            ) else {
                continue;
            };
            if !self.binds_statically(&gate.binds, party, None)
                || self.disclosed_by(product, anchor_at)
                || !self.owes_abroad(pack, local_id, gate)
            {
                continue;
            }
            let existing = out.iter_mut().find(|f| f.party == finding.party && f.product == finding.product);
            let entry = match existing {
                Some(entry) => entry,
                None => {
                    let mut entry = self.blank_finding(pack, rule, party, Some(product));
                    entry.status = Status::Conflict;
                    entry.explanation = Explanation::Conflict;
                    entry.anchor_at = Some(anchor_at);
                    out.push(entry);
                    out.last_mut().expect("just pushed")
                }
            };
            entry.related.push((finding.pack, finding.rule));
            entry.evidence.extend(&finding.evidence);
            entry.anchor_at = entry.anchor_at.min(Some(anchor_at));
        }
        for entry in &mut out {
            entry.related.push((gate_pack, gate_rule));
            entry.evidence.sort_unstable();
            entry.evidence.dedup();
        }
        out
    }

    fn disclosed_by(&self, product: ProductAt, at: Timestamp) -> bool {
        self.events()
            .any(|(i, e)| e.at <= at && e.event_type() == EventType::Published && self.concerns(i, product))
    }

    /// Whether the obligation `local_id` of `pack` must reach a party outside the
    /// gate's jurisdictions: a recipient role held in the case only by foreign parties,
    /// or by none (the EU bodies the CRA names are, by definition, abroad).
    fn owes_abroad(&self, pack: &Pack, local_id: &str, gate: &Gate) -> bool {
        let Some(RuleKind::Obligation(obligation)) = pack.rule(local_id).map(|r| &r.kind) else {
            return false;
        };
        obligation.required.iter().any(|requirement| {
            let roles = match &requirement.to {
                Recipients::AnyRole(roles) | Recipients::AllRoles(roles) => roles.as_slice(),
                _ => return false,
            };
            roles.iter().any(|role| {
                let mut holders = self.parties().iter().filter(|p| p.has_role(*role)).peekable();
                holders.peek().is_none()
                    || holders.any(|p| !gate.binds.jurisdictions.contains(&p.jurisdiction))
            })
        })
    }

    fn blank_finding(
        &self,
        pack: &'a Pack,
        rule: &'a Rule,
        party: PartyAt,
        product: Option<ProductAt>,
    ) -> Finding<'a> {
        Finding {
            pack,
            rule,
            party: &self.parties()[party].id,
            product: product.map(|p| &self.case.products()[p].id),
            status: Status::Pending,
            as_of: self.options.as_of,
            anchor_at: None,
            due_at: None,
            satisfied_at: None,
            late_by_hours: None,
            evidence: Vec::new(),
            related: Vec::new(),
            interpretation: None,
            deadline_configured: false,
            explanation: Explanation::Clock,
            missing: Vec::new(),
            content_recorded: false,
        }
    }
}

/// Regulation No 1182/71 Art. 3(4): a last day that is a Saturday or Sunday gives way
/// to the following working day (public holidays are not applied: none are shipped).
fn working_day(mut day: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    while matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
        day = day.succ_opt().unwrap_or(day);
    }
    day
}

/// The end of `day` in `tz`: the first instant of the next day.
fn end_of(day: chrono::NaiveDate, tz: Tz) -> Timestamp {
    let next = day.succ_opt().unwrap_or(day);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight).earliest().map(|t| t.to_utc()).unwrap_or_else(|| midnight.and_utc())
}

/// For each product of `case`: the providers of the products that name it upstream.
fn downstream_providers(case: &Case) -> Vec<Vec<PartyAt>> {
    let mut downstream = vec![Vec::new(); case.products().len()];
    for product in case.products() {
        let Some(provider) = case.party_position(&product.provider) else { continue };
        for upstream in &product.upstream {
            if let Some(p) = case.product_position(upstream)
                && !downstream[p].contains(&provider)
            {
                downstream[p].push(provider);
            }
        }
    }
    downstream
}

/// For each party of `case`: the products it provides or is downstream of, in order.
fn related_products(case: &Case) -> Vec<Vec<ProductAt>> {
    let mut related = vec![Vec::new(); case.parties().len()];
    for (p, product) in case.products().iter().enumerate() {
        let Some(provider) = case.party_position(&product.provider) else { continue };
        related[provider].push(p);
        for upstream in &product.upstream {
            if let Some(u) = case.product_position(upstream) {
                related[provider].push(u);
            }
        }
    }
    for products in &mut related {
        products.sort_unstable();
        products.dedup();
    }
    related
}

fn kind_matches(requirement: &Requirement, event: &Event) -> bool {
    match &event.kind {
        EventKind::Notified { kind, .. } => requirement.kinds.is_empty() || requirement.kinds.contains(kind),
        EventKind::Published { with_remediation, .. } => {
            requirement.with_remediation.is_none_or(|wanted| wanted == *with_remediation)
        }
        _ => true,
    }
}

fn find_gate<'p>(packs: &'p [Pack], full_id: &str) -> Option<(&'p Pack, &'p Rule, &'p Gate)> {
    let (pack_id, rule_id) = full_id.split_once('/')?;
    let pack = packs.iter().find(|p| p.id == pack_id)?;
    let rule = pack.rule(rule_id)?;
    match &rule.kind {
        RuleKind::Gate(gate) => Some((pack, rule, gate)),
        _ => None,
    }
}

fn hours(delta: TimeDelta) -> f64 {
    (delta.num_seconds() as f64 / 36.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_round_to_hundredths() {
        assert_eq!(hours(TimeDelta::minutes(90)), 1.5);
        assert_eq!(hours(TimeDelta::minutes(710)), 11.83);
        assert_eq!(hours(TimeDelta::seconds(-3600)), -1.0);
    }
}
