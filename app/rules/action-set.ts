import type { RulesActions } from '../../lib/rules/form';
import { changeRule, removeAppSettings, saveAppSettings, saveRule } from './actions';

/** RULES_ACTIONS hands the rules' server actions to the rules components (the rules page, an app's firewall panel). */
export const RULES_ACTIONS: RulesActions = { saveRule, changeRule, saveAppSettings, removeAppSettings };
