"""The offline model's grammar, one stage of understanding per module.

A message goes through, in order:

0. as typed — a dictated or formatted message as it would have been typed
   (`recognizers.as_typed`: "um", "aoife at wicklowbrand dot ie", markdown, list lines), and a
   message with a Spanish word read through `lexicon/spanish.yaml` (`normalize.in_english`:
   "pásala a Won porfa" → "move her to Won please"; a note's own words are kept).
1. `normalize` — emoji, emoticons, polite wrappers and sign-offs off ("can u … pls 🙏").
2. `clauses` — the message cut into requests; chatter clauses kept only as context.
3. intents — `intent_status` (moves, sales slang, deletes, undo), `intent_update` (fields,
   notes), `intent_create` (new leads, fields in any order), `intent_query` (questions),
   `history` ("what changed today?"), `totals` ("what's the pipeline worth?").
4. typed slots — `slots` (stages, field values, references) over `recognizers` (money,
   e-mail, phone, person names, companies: each sure of its value or silent).
5. `validate` — every value to be written checked again; unsure → `confirm_first` (the
   user is asked), no name → a question, never a guess.

Vocabulary lives in data files under `lexicon/` (`words.py` reads them): sales slang for
stage moves, stage synonyms, fillers and glue words, words that are never names, words that
mark a company. To teach the grammar a new phrasing, add it there first; add a rule only for
a new sentence shape, with a unit test and an eval conversation.
"""
