/**
 * GA4 event names that are analytics, not shopping: what the Google tag and the Firebase SDK collect on their
 * own (support.google.com/analytics/answer/9234069), enhanced measurement (…/9216061) and the recommended
 * events for every property and for lead generation and games (…/9267735). A GA4 export is mostly these (page
 * views, engagement, scrolls); they are skipped and counted by name, not reported as problems. Any other name
 * `track()` does not know — a custom event, a misspelt `add_to_crat` — is still an "unknown event name" problem.
 */
export const GA4_OTHER_ANALYTICS: ReadonlySet<string> = new Set([
  // automatically collected (web and apps)
  'first_visit', 'first_open', 'session_start', 'user_engagement', 'page_view', 'screen_view', 'app_remove',
  'app_update', 'os_update', 'app_clear_data', 'app_exception', 'app_store_refund', 'app_store_subscription_cancel',
  'app_store_subscription_convert', 'app_store_subscription_renew', 'in_app_purchase', 'error',
  'notification_dismiss', 'notification_foreground', 'notification_open', 'notification_receive',
  'dynamic_link_app_open', 'dynamic_link_app_update', 'dynamic_link_first_open', 'firebase_campaign',
  'firebase_in_app_message_action', 'firebase_in_app_message_dismiss', 'firebase_in_app_message_impression',
  'ad_click', 'ad_exposure', 'ad_impression', 'ad_query', 'ad_reward', 'adunit_exposure',
  // enhanced measurement
  'scroll', 'click', 'file_download', 'form_start', 'form_submit', 'video_start', 'video_progress', 'video_complete',
  // recommended for every property, lead generation and games (not e-commerce)
  'login', 'sign_up', 'share', 'generate_lead', 'qualify_lead', 'disqualify_lead', 'working_lead',
  'close_convert_lead', 'close_unconvert_lead', 'join_group', 'earn_virtual_currency', 'spend_virtual_currency',
  'tutorial_begin', 'tutorial_complete', 'unlock_achievement', 'level_start', 'level_end', 'level_up', 'post_score',
]);
