//! The fixed taxonomies of the domain: themes, audiences, kinds of event.
//!
//! Their wire names are stable contract values (snake_case English); the French labels are for
//! people.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! taxonomy {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The French label shown to people.
            pub fn label_fr(self) -> &'static str {
                match self {
                    $(Self::$variant => $label),+
                }
            }
        }
    };
}

taxonomy!(
    /// A field of the social and medico-social jobs.
    Theme {
        /// Early childhood (crèches, childminders).
        EarlyChildhood => "Petite enfance",
        /// Health care (care assistants, nurses).
        HealthCare => "Soin",
        /// Disability.
        Disability => "Handicap",
        /// The elderly and autonomy (EHPAD).
        ElderlyAutonomy => "Grand âge et autonomie",
        /// Help at home.
        HomeHelp => "Aide à domicile",
        /// Social action.
        SocialAction => "Action sociale",
        /// Child protection.
        ChildProtection => "Protection de l'enfance",
    }
);

taxonomy!(
    /// Who an event is for.
    Audience {
        /// Job seekers.
        JobSeekers => "Demandeurs d'emploi",
        /// Young people, 16 to 25 (mission locale).
        YoungPeople => "Jeunes (16-25 ans)",
        /// Pupils (collège, lycée).
        Pupils => "Élèves",
        /// Students.
        Students => "Étudiants",
        /// Professionals of the sector.
        Professionals => "Professionnels",
        /// People changing career.
        CareerChangers => "Personnes en reconversion",
        /// Everyone.
        GeneralPublic => "Tout public",
    }
);

taxonomy!(
    /// The kinds of event the weeks hold.
    EventKind {
        /// A thematic workshop.
        Workshop => "Atelier",
        /// Short interviews between employers and candidates.
        JobDating => "Job-dating",
        /// Open doors at an establishment.
        OpenDoor => "Portes ouvertes",
        /// A session for a school class.
        SchoolSession => "Intervention scolaire",
        /// A talk, a ceremony, a signing.
        TalkOrCeremony => "Conférence ou cérémonie",
        /// A discovery stand: escape game, ageing simulator, VR headsets.
        DiscoveryStand => "Stand découverte",
        /// A mobile space that stops at several venues over the week.
        MobileStop => "Étape mobile",
    }
);

taxonomy!(
    /// The discovery tools of a discovery stand.
    DiscoveryTool {
        /// An escape game.
        EscapeGame => "Escape game",
        /// An ageing simulator suit.
        AgeingSimulator => "Simulateur de vieillissement",
        /// Virtual-reality headsets.
        VirtualReality => "Casques de réalité virtuelle",
    }
);

taxonomy!(
    /// What kind of place a venue is.
    VenueKind {
        /// A nursing home (EHPAD).
        Ehpad => "EHPAD",
        /// A crèche.
        Creche => "Crèche",
        /// A home for disabled people.
        DisabilityHome => "Établissement pour personnes handicapées",
        /// A training centre.
        TrainingCentre => "Centre de formation",
        /// A school (collège, lycée).
        School => "Établissement scolaire",
        /// A town hall.
        TownHall => "Mairie",
        /// An association's premises.
        AssociationPremises => "Locaux associatifs",
        /// Anything else.
        Other => "Autre",
    }
);

taxonomy!(
    /// Equipment a venue offers.
    Equipment {
        /// A projector and screen.
        Projector => "Vidéoprojecteur",
        /// A sound system with microphones.
        SoundSystem => "Sonorisation",
        /// A kitchen.
        Kitchen => "Cuisine",
        /// A room fit for VR headsets.
        VrReadyRoom => "Salle adaptée à la réalité virtuelle",
        /// Wi-Fi for visitors.
        Wifi => "Wi-Fi",
        /// Tables for interviews.
        InterviewTables => "Tables d'entretien",
    }
);

taxonomy!(
    /// The jobs employers recruit for at job-datings.
    Job {
        /// Care assistant.
        CareAssistant => "Aide-soignant",
        /// Home carer for the elderly and disabled.
        HomeCarer => "Auxiliaire de vie",
        /// Educational and social support worker (AES).
        SupportWorker => "Accompagnant éducatif et social",
        /// Nurse.
        Nurse => "Infirmier",
        /// Childcare assistant in crèches and maternity wards.
        ChildcareAssistant => "Auxiliaire de puériculture",
        /// Specialised educator (disability, child protection).
        SpecialisedEducator => "Éducateur spécialisé",
        /// Assistant educator.
        AssistantEducator => "Moniteur-éducateur",
        /// Hospital services agent (ASH).
        HospitalServicesAgent => "Agent de service hospitalier",
        /// Any other job.
        Other => "Autre métier",
    }
);

taxonomy!(
    /// The kinds of employment contract a job is offered under.
    ContractType {
        /// Permanent contract (CDI).
        Permanent => "CDI",
        /// Fixed-term contract (CDD).
        FixedTerm => "CDD",
        /// Apprenticeship.
        Apprenticeship => "Apprentissage",
        /// Internship.
        Internship => "Stage",
    }
);

taxonomy!(
    /// What kind of structure an employer is.
    StructureKind {
        /// A nursing home (EHPAD).
        Ehpad => "EHPAD",
        /// A home-help service (ADMR, SAAD, SSIAD).
        HomeHelpService => "Service d'aide à domicile",
        /// A hospital or clinic.
        Hospital => "Hôpital ou clinique",
        /// A home or service for disabled people (IME, ESAT, foyer).
        DisabilityService => "Établissement ou service pour personnes handicapées",
        /// A child-protection home or service (MECS, ASE).
        ChildProtection => "Protection de l'enfance",
        /// A crèche or early-childhood service.
        EarlyChildhood => "Petite enfance",
        /// A social action centre (CCAS) or local authority.
        SocialActionCentre => "CCAS ou collectivité",
        /// Anything else.
        Other => "Autre",
    }
);
