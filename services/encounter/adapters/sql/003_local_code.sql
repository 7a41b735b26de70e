-- Issue 18 item 5 (目录对照, 3301/3302): a line billed with the institution's own code keeps
-- it beside the catalog code it was recorded and judged as (item_code).
ALTER TABLE charge_lines ADD COLUMN IF NOT EXISTS local_code text;
