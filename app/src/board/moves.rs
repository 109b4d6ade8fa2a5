//! The board's move logic, free of any UI: where a card goes for each keyboard step
//! or drop, what the server is told (the new neighbours), and what a screen reader
//! hears. The board view and the tests both drive this.

/// The cards of each column, in order: `(stage id, stage name, card ids)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub columns: Vec<ColumnIds>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnIds {
    pub stage_id: i64,
    pub name: String,
    pub cards: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Up,
    Down,
    Left,
    Right,
}

impl Step {
    /// The step for a key name (`KeyboardEvent.key`), if it is an arrow key.
    pub fn from_key(key: &str) -> Option<Step> {
        match key {
            "ArrowUp" => Some(Step::Up),
            "ArrowDown" => Some(Step::Down),
            "ArrowLeft" => Some(Step::Left),
            "ArrowRight" => Some(Step::Right),
            _ => None,
        }
    }
}

/// Where a card now sits, as the server needs it: its stage and its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub stage_id: i64,
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl Layout {
    /// (column index, position) of a card.
    pub fn locate(&self, card: i64) -> Option<(usize, usize)> {
        self.columns
            .iter()
            .enumerate()
            .find_map(|(c, col)| col.cards.iter().position(|&id| id == card).map(|p| (c, p)))
    }

    /// Moves `card` one step. Up/down swap it with its neighbour; left/right carry it
    /// to the same position (or the end) of the next column. False at an edge.
    pub fn step(&mut self, card: i64, step: Step) -> bool {
        let Some((c, p)) = self.locate(card) else {
            return false;
        };
        match step {
            Step::Up if p > 0 => {
                self.columns[c].cards.swap(p, p - 1);
                true
            }
            Step::Down if p + 1 < self.columns[c].cards.len() => {
                self.columns[c].cards.swap(p, p + 1);
                true
            }
            Step::Left if c > 0 => self.carry(card, c, p, c - 1),
            Step::Right if c + 1 < self.columns.len() => self.carry(card, c, p, c + 1),
            _ => false,
        }
    }

    fn carry(&mut self, card: i64, from: usize, pos: usize, to: usize) -> bool {
        self.columns[from].cards.remove(pos);
        let at = pos.min(self.columns[to].cards.len());
        self.columns[to].cards.insert(at, card);
        true
    }

    /// Puts `card` into column `to` at position `at` (a drop).
    pub fn place(&mut self, card: i64, to: usize, at: usize) -> bool {
        let Some((c, p)) = self.locate(card) else {
            return false;
        };
        if to >= self.columns.len() {
            return false;
        }
        self.columns[c].cards.remove(p);
        let at = at.min(self.columns[to].cards.len());
        self.columns[to].cards.insert(at, card);
        true
    }

    /// The stage and neighbours of `card` where it now is.
    pub fn target(&self, card: i64) -> Option<Target> {
        let (c, p) = self.locate(card)?;
        let col = &self.columns[c];
        Some(Target {
            stage_id: col.stage_id,
            after: p.checked_sub(1).map(|i| col.cards[i]),
            before: col.cards.get(p + 1).copied(),
        })
    }

    /// "#1042 moved to In Progress, position 3 of 12".
    pub fn describe(&self, card: i64, number: i64, verb: &str) -> String {
        match self.locate(card) {
            Some((c, p)) => {
                let col = &self.columns[c];
                format!(
                    "#{number} {verb} {}, position {} of {}",
                    col.name,
                    p + 1,
                    col.cards.len()
                )
            }
            None => format!("#{number} is no longer on this board"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            columns: vec![
                ColumnIds {
                    stage_id: 10,
                    name: "New".into(),
                    cards: vec![1, 2, 3],
                },
                ColumnIds {
                    stage_id: 20,
                    name: "In Progress".into(),
                    cards: vec![4],
                },
                ColumnIds {
                    stage_id: 30,
                    name: "Done".into(),
                    cards: vec![],
                },
            ],
        }
    }

    #[test]
    fn down_and_up_swap_with_the_neighbour_and_stop_at_the_ends() {
        let mut l = layout();
        assert!(l.step(1, Step::Down));
        assert_eq!(l.columns[0].cards, vec![2, 1, 3]);
        assert!(l.step(1, Step::Up));
        assert!(!l.step(1, Step::Up), "already at the top");
        assert!(!l.step(3, Step::Down), "already at the bottom");
    }

    #[test]
    fn right_carries_the_card_to_the_same_position_or_the_end_of_the_next_column() {
        let mut l = layout();
        assert!(l.step(3, Step::Right));
        assert_eq!(l.columns[1].cards, vec![4, 3]);
        assert!(l.step(3, Step::Right));
        assert_eq!(l.columns[2].cards, vec![3]);
        assert!(!l.step(3, Step::Right), "no column further right");
        assert!(l.step(3, Step::Left));
        assert_eq!(
            l.columns[1].cards,
            vec![3, 4],
            "back at the same position: the top"
        );
    }

    #[test]
    fn the_target_names_the_new_neighbours() {
        let mut l = layout();
        l.step(2, Step::Right);
        assert_eq!(
            l.target(2),
            Some(Target {
                stage_id: 20,
                after: Some(4),
                before: None
            })
        );
        l.step(2, Step::Up);
        assert_eq!(
            l.target(2),
            Some(Target {
                stage_id: 20,
                after: None,
                before: Some(4)
            })
        );
    }

    #[test]
    fn a_drop_places_the_card_at_the_pointer_position() {
        let mut l = layout();
        assert!(l.place(1, 1, 0));
        assert_eq!(l.columns[0].cards, vec![2, 3]);
        assert_eq!(l.columns[1].cards, vec![1, 4]);
        assert!(l.place(4, 0, 99));
        assert_eq!(l.columns[0].cards, vec![2, 3, 4]);
    }

    #[test]
    fn each_step_is_described_for_a_screen_reader() {
        let mut l = layout();
        l.step(3, Step::Right);
        assert_eq!(
            l.describe(3, 1042, "moved to"),
            "#1042 moved to In Progress, position 2 of 2"
        );
    }

    #[test]
    fn arrow_keys_map_to_steps() {
        assert_eq!(Step::from_key("ArrowLeft"), Some(Step::Left));
        assert_eq!(Step::from_key("a"), None);
    }
}
