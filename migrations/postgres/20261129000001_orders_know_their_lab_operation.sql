-- The lab's X-Lab-Operation of the attempt that created the order: one intention, whatever
-- keys its attempts carried. Two orders that share one are the duplicate the lesson is about;
-- two that only look alike (same items) may well be two intentions. NULL outside the lab and
-- for rows from before.
ALTER TABLE orders ADD COLUMN lab_operation TEXT;
