/**
 * The attribute names a Merchant Center feed may carry (product data specification,
 * support.google.com/merchants/answer/7052112, and the Merchant API's product attributes), plus the elements
 * RSS 2.0 and Atom 1.0 define for an item or entry. An attribute outside this set is reported once as unknown;
 * the reader uses only the few the model needs.
 */
const SPEC = [
  // basic product data
  'id', 'title', 'description', 'link', 'image_link', 'additional_image_link', 'mobile_link', 'canonical_link',
  'lifestyle_image_link', 'virtual_model_link', 'link_template', 'mobile_link_template', 'short_title',
  'structured_title', 'structured_description',
  // price and availability
  'availability', 'availability_date', 'cost_of_goods_sold', 'expiration_date', 'price', 'sale_price',
  'sale_price_effective_date', 'unit_pricing_measure', 'unit_pricing_base_measure', 'installment',
  'subscription_cost', 'loyalty_points', 'loyalty_program', 'minimum_price', 'maximum_retail_price',
  'auto_pricing_min_price', 'member_price', 'sell_on_google_quantity', 'quantity', 'pause',
  // product category
  'google_product_category', 'product_type',
  // product identifiers
  'brand', 'gtin', 'mpn', 'identifier_exists',
  // detailed product description
  'condition', 'adult', 'multipack', 'is_bundle', 'certification', 'energy_efficiency_class',
  'min_energy_efficiency_class', 'max_energy_efficiency_class', 'age_group', 'color', 'gender', 'material',
  'pattern', 'size', 'size_type', 'size_system', 'item_group_id', 'product_length', 'product_width',
  'product_height', 'product_weight', 'product_detail', 'product_highlight', 'disclosure_date',
  // shopping campaigns and other configurations
  'ads_redirect', 'ads_grouping', 'ads_labels', 'custom_label_0', 'custom_label_1', 'custom_label_2',
  'custom_label_3', 'custom_label_4', 'promotion_id', 'display_ads_id', 'display_ads_title', 'display_ads_link',
  'display_ads_value', 'display_ads_similar_id', 'adwords_redirect', 'adwords_grouping', 'adwords_labels',
  // destinations
  'excluded_destination', 'included_destination', 'shopping_ads_excluded_country', 'online_only',
  // shipping
  'shipping', 'carrier_shipping', 'shipping_label', 'shipping_weight', 'shipping_length', 'shipping_width',
  'shipping_height', 'ships_from_country', 'transit_time_label', 'max_handling_time', 'min_handling_time',
  'free_shipping_threshold', 'handling_cutoff_time',
  // tax, marketplaces, returns, local inventory
  'tax', 'tax_category', 'external_seller_id', 'return_policy_label', 'store_code', 'pickup_method', 'pickup_sla',
  'consumer_notice', 'product_fee',
];

/** Elements RSS 2.0 defines for an `<item>` and Atom 1.0 for an `<entry>` (lower-cased). */
const RSS_ATOM = [
  'guid', 'pubdate', 'category', 'author', 'comments', 'enclosure', 'source',
  'summary', 'content', 'updated', 'published', 'contributor', 'rights',
];

export const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set([...SPEC, ...RSS_ATOM]);

/** The attributes the reader takes values from. */
export const READ = ['id', 'item_group_id', 'title', 'brand', 'product_type', 'google_product_category', 'price', 'sale_price', 'availability'] as const;
export type ReadAttribute = (typeof READ)[number];
export const READ_SET: ReadonlySet<string> = new Set(READ);

/**
 * One item as a reader hands it over: the values of the attributes in {@link READ}, each a list in document
 * order (repeated elements, repeated columns); a value that is markup rather than text is `null`.
 */
export type RawItem = Partial<Record<ReadAttribute, (string | null)[]>>;
