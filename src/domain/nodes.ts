/** What a node's name may be (--node-name, STOA_NODE_NAME): a host-name-like label. */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const NODE_NAME_RULE = 'a node name is 1-63 letters, digits, dots, hyphens and underscores, starting with a letter or digit';
