-- Candidate staging.calendar_events rows from one file's text batch (registered as raw_batch).
-- An event's kind is given, or read from its categories and summary: a freeze category (or a
-- summary word naming one) makes a freeze, else a release category makes a planned release,
-- else it is maintenance. Services are a JSON list or comma-separated text whose items may
-- carry a version (`api@1.4.0` or `api=1.4.0`); versions are a JSON map or `api=1.4.0` text.
WITH named AS (
    SELECT
        record_number,
        rh_text(event_id) AS event_id,
        lower(rh_text(kind)) AS kind_given,
        rh_text(summary) AS summary,
        rh_text(categories) AS categories__text,
        rh_text(starts_at) AS starts_at__text,
        rh_text(ends_at) AS ends_at__text,
        rh_text(services) AS services__text,
        rh_text(versions) AS versions__text,
        CAST(extra AS JSON) AS extra
    FROM raw_batch
),
listed AS (
    SELECT
        *,
        list_filter(
            list_transform(
                CASE WHEN json_valid(categories__text) AND starts_with(categories__text, '[')
                    THEN CAST(from_json(categories__text, '["VARCHAR"]') AS VARCHAR[])
                    ELSE string_split(categories__text, ',') END,
                c -> upper(trim(c))
            ),
            c -> c <> ''
        ) AS category_list,
        string_split_regex(upper(coalesce(summary, '')), '[^A-Z0-9_]+') AS summary_words,
        list_filter(
            list_transform(
                CASE WHEN json_valid(services__text) AND starts_with(services__text, '[')
                    THEN CAST(from_json(services__text, '["VARCHAR"]') AS VARCHAR[])
                    ELSE string_split(services__text, ',') END,
                s -> trim(s)
            ),
            s -> s <> ''
        ) AS service_items,
        CASE WHEN json_valid(versions__text)
            THEN json_type(versions__text) = 'OBJECT'
        END AS versions_is_map
    FROM named
),
typed AS (
    SELECT
        record_number,
        event_id,
        CASE
            WHEN kind_given IS NOT NULL THEN kind_given
            WHEN len(list_intersect(category_list, $freeze_categories)) > 0
                OR len(list_intersect(summary_words, $freeze_categories)) > 0 THEN 'freeze'
            WHEN len(list_intersect(category_list, $release_categories)) > 0
                OR len(list_intersect(summary_words, $release_categories)) > 0 THEN 'release'
            ELSE 'maintenance'
        END AS kind,
        summary,
        category_list AS categories,
        starts_at__text,
        ends_at__text,
        rh_parse_ts(starts_at__text, $source_timezone) AS starts_at,
        -- an event without an end is an instant
        rh_parse_ts(coalesce(ends_at__text, starts_at__text), $source_timezone) AS ends_at,
        list_sort(list_distinct(list_transform(
            service_items,
            s -> rh_alias(trim(regexp_extract(s, '^([^@=]*)', 1)), $service_alias_keys,
                $service_alias_values)
        ))) AS services_named,
        -- versions named with their service in the list, then the versions field
        CAST(json_merge_patch(
            coalesce(CAST(to_json(map_from_entries(list_transform(
                list_filter(service_items, s -> regexp_matches(s, '[@=]')),
                s -> {
                    'k': rh_alias(trim(regexp_extract(s, '^([^@=]*)', 1)), $service_alias_keys,
                        $service_alias_values),
                    'v': trim(regexp_extract(s, '[@=](.*)$', 1))
                }
            ))) AS VARCHAR), '{}'),
            CASE
                WHEN versions_is_map THEN versions__text
                WHEN versions__text IS NULL THEN '{}'
                ELSE CAST(to_json(map_from_entries(list_transform(
                    list_filter(string_split(versions__text, ','), s -> regexp_matches(s, '[@=]')),
                    s -> {
                        'k': rh_alias(trim(regexp_extract(s, '^([^@=]*)', 1)),
                            $service_alias_keys, $service_alias_values),
                        'v': trim(regexp_extract(s, '[@=](.*)$', 1))
                    }
                ))) AS VARCHAR)
            END
        ) AS JSON) AS versions,
        extra
    FROM listed
)
SELECT
    * EXCLUDE (services_named),
    coalesce(services_named, CAST([] AS VARCHAR[])) AS services,
    hash(event_id, kind, summary, categories, starts_at, ends_at, services_named, versions, extra)
        AS row_hash
FROM typed
